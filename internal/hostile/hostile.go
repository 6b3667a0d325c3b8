// Package hostile reads the hostile-input corpus under testdata/hostile for tests.
package hostile

import (
	"encoding/json"
	"os"
	"testing"
)

// SessionIDs reads the hostile session ids of a corpus file
// (testdata/hostile/session_ids.json) for tests, failing t when it cannot.
func SessionIDs(t testing.TB, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read hostile session ids: %v", err)
	}
	var corpus struct{ IDs []string }
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if len(corpus.IDs) == 0 {
		t.Fatalf("%s holds no ids", path)
	}
	return corpus.IDs
}
