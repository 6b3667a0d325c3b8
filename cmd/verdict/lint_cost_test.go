package main

import (
	"strings"
	"testing"
)

// TestLintCost: verdict lint --cost prints each rule's worst-case cost and
// the policy's total against the limit, and a policy over the limit fails
// with its cost at the rule.
func TestLintCost(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
	}{
		{"shipped rules", []string{"lint", "--cost", "../../rules"}, 0, []string{
			"ok (2 policies)",
			`rules/checkout.yaml:41:11: rule "high-risk-score": cost 3 units, 24 bytes`,
			`policy "checkout": cost 167 of 2000000 units`,
		}},
		{"a policy over the limit", []string{"lint", "--cost", "../../testdata/hostile/policies/triple-loop.yaml"}, 1, []string{
			`triple-loop.yaml:7:11: rule "nested": would cost up to 577604408 units per decision (the limit is 2000000)`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
		})
	}
}
