package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/engine"
)

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPolicyCommands(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings expected in stdout
		stderr []string
	}{
		{"lint shipped rules", []string{"lint", "../../rules"}, 0, []string{"ok (2 policies)"}, nil},
		{"lint a broken file", []string{"lint", "../../testdata/policies/broken/misspelt-name.yaml"}, 1, []string{"misspelt-name.yaml:6:11: rule \"bot-vpn\": unknown name riskscore"}, nil},
		{"lint reports every error", []string{"lint", "../../testdata/policies/broken/duplicate-ids.yaml"}, 1, []string{"on_error", "strategy", "used twice", "block"}, nil},
		{"lint a broken set", []string{"lint", "../../testdata/policies/sets/two-defaults"}, 1, []string{"two live default policies"}, nil},
		{"lint help", []string{"lint", "--help"}, 0, []string{"Usage: verdict lint"}, nil},
		{"test shipped suite", []string{"test", "../../rules"}, 0, []string{"PASS demo-deny", "0 failed"}, nil},
		{"test a failing suite", []string{"test", "testdata/failing"}, 1, []string{"FAIL expects the wrong outcome", "outcome: expected allow, got deny", "fired: expected [], got [", "PASS demo-allow", "1 passed, 1 failed"}, nil},
		{"test first_match policy suite", []string{"test", "../../testdata/policies/valid/first-match_test.yaml"}, 0, []string{"PASS a future check read by index", "6 passed, 0 failed"}, nil},
		{"test help", []string{"test", "-h"}, 0, []string{"Usage: verdict test"}, nil},
		{"eval text", []string{"eval", "--rules", "../../rules", "--report", "../../testdata/reports/demo-deny.json", "--format", "text"}, 0, []string{"session demo-deny: deny", "fired:   automation-tool -> deny", "device_checks.bot = \"Detected\""}, nil},
		{"eval bad context type", []string{"eval", "--rules", "../../rules", "--report", "../../testdata/reports/demo-allow.json", "--context", `{"amount":"120.00"}`}, 2, nil, []string{"context.amount: must be a number"}},
		{"eval invalid report", []string{"eval", "--rules", "../../rules", "--report", "../../testdata/reports/invalid/score-out-of-range.json"}, 1, nil, []string{"risk_score"}},
		{"eval without report", []string{"eval"}, 2, nil, []string{"verdict eval: --report is required", "Usage: verdict eval"}},
		{"eval help", []string{"eval", "--help"}, 0, []string{"--report"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
		})
	}
}

func TestEvalJSONDemoSessions(t *testing.T) {
	for id, want := range map[string]engine.Outcome{"demo-allow": engine.Allow, "demo-review": engine.Review, "demo-deny": engine.Deny} {
		t.Run(id, func(t *testing.T) {
			code, out, errOut := run("eval", "--rules", "../../rules", "--report", "../../testdata/reports/"+id+".json", "--context", `{"amount": 120}`)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var d engine.Decision
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("not a JSON decision: %v\n%s", err, out)
			}
			if d.Outcome != want || d.Policy.Name != "checkout" || len(d.Policy.Version) != 64 {
				t.Errorf("got %+v, want %s by checkout", d, want)
			}
		})
	}
}
