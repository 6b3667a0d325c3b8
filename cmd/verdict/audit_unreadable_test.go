package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// TestAuditExportUnreadable: a stored trace that cannot be decoded (a context
// nested 10,000 deep, accepted before the API's context limits) does not stop
// the export: it is written as its unreadable entry between the others, the
// command exits 0 and says how many such entries it wrote.
func TestAuditExportUnreadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "verdict.db")
	s := audittest.MustOpen(t, path, audit.Options{})
	bad := audittest.SampleTrace(1)
	bad.Context = json.RawMessage(strings.Repeat(`{"a":`, 10_000) + "1" + strings.Repeat("}", 10_000))
	audittest.MustAppend(t, s, audittest.SampleTrace(0), bad, audittest.SampleTrace(2))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"audit", "export", "--database", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "3 traces, 1 of them unreadable") {
		t.Fatalf("stderr %q does not count the unreadable trace", stderr.String())
	}
	var unreadable []string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var tr audit.Trace
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil || tr.ID == "" {
			t.Fatalf("line is not a trace: %v: %.200s", err, sc.Bytes())
		}
		if tr.Unreadable != "" {
			unreadable = append(unreadable, tr.ID)
		}
	}
	if len(unreadable) != 1 || unreadable[0] != bad.ID {
		t.Fatalf("unreadable entries %v, want [%s]", unreadable, bad.ID)
	}
}
