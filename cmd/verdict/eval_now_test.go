package main

import (
	"strings"
	"testing"
)

// TestEvalNow: `verdict eval --now` pins the decision's time; the same
// input at the same time prints the same decision, twice; a bad --now is a
// usage error.
func TestEvalNow(t *testing.T) {
	args := func(now string) []string {
		return []string{"eval", "--rules", "../../decision/testdata/rules", "--report", "../../decision/testdata/reports/t-allow.json",
			"--context", `{"amount": 20}`, "--now", now}
	}
	for now, outcome := range map[string]string{"2030-06-01T00:00:00Z": "allow", "2031-06-01T00:00:00Z": "review"} { // after-2031 reads now()
		code1, out1, err1 := run(args(now)...)
		code2, out2, _ := run(args(now)...)
		if code1 != 0 || code2 != 0 || out1 != out2 || !strings.Contains(out1, `"outcome": "`+outcome+`"`) {
			t.Fatalf("--now %s: exit %d then %d, want %s\n%s\nthen\n%s\nstderr: %s", now, code1, code2, outcome, out1, out2, err1)
		}
	}
	for _, bad := range []string{"2031-06-01", "tomorrow", "1717200000"} {
		code, _, errOut := run(args(bad)...)
		if code != 2 || !strings.Contains(errOut, "--now") || !strings.Contains(errOut, "RFC 3339") {
			t.Fatalf("--now %q: exit %d, stderr %q; want 2 naming --now", bad, code, errOut)
		}
	}
}
