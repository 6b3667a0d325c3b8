package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestEvalHostileContext runs the hostile --context values of
// testdata/hostile/pipeline/eval-context.json.
func TestEvalHostileContext(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/hostile/pipeline/eval-context.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []struct {
			Name, Context, Stderr, Outcome string
			Exit                           int
			RawBytes                       bool `json:"raw_bytes"`
		}
	}
	if err := json.Unmarshal(raw, &corpus); err != nil || len(corpus.Cases) == 0 {
		t.Fatalf("corpus: %d cases, %v", len(corpus.Cases), err)
	}
	for _, c := range corpus.Cases {
		t.Run(c.Name, func(t *testing.T) {
			ctx := c.Context
			if c.RawBytes { // JSON cannot hold invalid UTF-8: the corpus writes the byte as \xff
				ctx = strings.ReplaceAll(ctx, `\xff`, "\xff")
			}
			code, out, errOut := run("eval", "--rules", "../../decision/testdata/rules", "--report", "../../decision/testdata/reports/t-allow.json",
				"--now", "2030-06-01T00:00:00Z", "--context", ctx)
			if code != c.Exit || !strings.Contains(errOut, c.Stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, c.Exit, c.Stderr)
			}
			if c.Outcome != "" {
				var d struct{ Outcome string }
				if err := json.Unmarshal([]byte(out), &d); err != nil || d.Outcome != c.Outcome {
					t.Fatalf("outcome %q (%v), want %q:\n%s", d.Outcome, err, c.Outcome, out)
				}
			}
		})
	}
}
