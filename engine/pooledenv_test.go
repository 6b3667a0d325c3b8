package engine

import (
	"fmt"
	"os"
	"testing"
)

// TestPooledEnvHoldsOnlyThisDecision: an evaluator's env is reused and
// writes only what changed, so deciding reports one after another must give
// exactly what a fresh policy gives for each, stale checks or context never
// leaking from the previous decision.
func TestPooledEnvHoldsOnlyThisDecision(t *testing.T) {
	shipped, err := os.ReadFile("../rules/checkout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reused := mustPolicy(t, string(shipped))
	seq := []struct {
		report string
		ctx    map[string]any
	}{
		{"demo-deny", map[string]any{"amount": 900}},
		{"demo-review", map[string]any{"amount": 900}},
		{"vpn-only", map[string]any{"amount": 900}},
		{"vpn-only", nil},
		{"old-missing-checks", map[string]any{"amount": 10}},
		{"demo-deny", map[string]any{"amount": 10}},
		{"demo-allow", map[string]any{"amount": 10}},
		{"anonymized-scripted", nil},
		{"demo-allow", nil},
	}
	for i, step := range seq {
		t.Run(fmt.Sprint(i, " ", step.report), func(t *testing.T) {
			data, err := os.ReadFile("../testdata/reports/" + step.report + ".json")
			if err != nil {
				t.Fatal(err)
			}
			r := mustReport(t, string(data))
			got := reused.Evaluate(r, step.ctx)
			want := mustPolicy(t, string(shipped)).Evaluate(r, step.ctx)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("reused env decided\n%+v\na fresh one\n%+v", got, want)
			}
		})
	}
}
