package engine

import (
	"fmt"
	"reflect"
	"testing"
)

// onErrorPolicy's rule "amount" fails when the caller leaves out the declared
// context.amount, and rule "flag" fails when context.flag is not a boolean.
const onErrorPolicy = `
name: onerr
default: allow
on_error: %s
strategy: %s
context: {amount: number}
rules:
  - {id: low, when: 'risk_score < 20', action: allow}
  - {id: amount, when: 'context.amount > 100', action: review}
  - {id: high, when: 'risk_score >= 70', action: deny}
  - {id: flag, when: 'context.flag', action: deny}
  - {id: mid, when: 'risk_score >= 30', action: review}
`

// TestRuleErrorsNeverWeakenFiredRules: with most_severe a failing rule makes
// the outcome the most severe of on_error and the fired actions; with
// first_match a failure before the first match gives on_error and a match
// before any failure decides.
func TestRuleErrorsNeverWeakenFiredRules(t *testing.T) {
	tests := []struct {
		name     string
		strategy string
		onError  Outcome
		score    int
		ctx      map[string]any
		outcome  Outcome
		reason   string
		fired    []string
		errs     []string
	}{
		{"most_severe: a fired deny beats on_error review", "most_severe", Review, 90, map[string]any{"flag": false},
			Deny, ReasonOnError, []string{"high", "mid"}, []string{"amount"}},
		{"most_severe: on_error review beats a fired allow", "most_severe", Review, 10, map[string]any{"flag": false},
			Review, ReasonOnError, []string{"low"}, []string{"amount"}},
		{"most_severe: on_error allow with a fired allow", "most_severe", Allow, 10, map[string]any{"flag": false},
			Allow, ReasonOnError, []string{"low"}, []string{"amount"}},
		{"most_severe: on_error deny beats a fired review", "most_severe", Deny, 50, map[string]any{"flag": false},
			Deny, ReasonOnError, []string{"mid"}, []string{"amount"}},
		{"most_severe: a non-boolean when is an error", "most_severe", Allow, 25, map[string]any{"amount": 5, "flag": "yes"},
			Allow, ReasonOnError, nil, []string{"flag"}},
		{"most_severe: no error, worst fired wins", "most_severe", Review, 90, map[string]any{"amount": 500, "flag": false},
			Deny, ReasonRules, []string{"amount", "high", "mid"}, nil},
		{"first_match: an error before any match gives on_error", "first_match", Review, 90, map[string]any{"flag": false},
			Review, ReasonOnError, nil, []string{"amount"}},
		{"first_match: a match before the failing rule decides", "first_match", Review, 10, map[string]any{"flag": false},
			Allow, ReasonRules, []string{"low"}, nil},
		{"first_match: no error, first match decides", "first_match", Review, 90, map[string]any{"amount": 50, "flag": false},
			Deny, ReasonRules, []string{"high"}, nil},
		{"first_match: a non-boolean when stops evaluation", "first_match", Allow, 40, map[string]any{"amount": 50, "flag": "yes"},
			Allow, ReasonOnError, nil, []string{"flag"}},
		{"first_match: a later match when nothing fails", "first_match", Allow, 40, map[string]any{"amount": 50, "flag": false},
			Review, ReasonRules, []string{"mid"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPolicy(t, fmt.Sprintf(onErrorPolicy, tc.onError, tc.strategy))
			d := p.Evaluate(Facts{Report: mustReport(t, fmt.Sprintf(`{"session_id":"a","risk_score":%d}`, tc.score)), Context: tc.ctx})
			if d.Outcome != tc.outcome || d.Reason != tc.reason {
				t.Errorf("got %s/%s, want %s/%s", d.Outcome, d.Reason, tc.outcome, tc.reason)
			}
			var fired, errs []string
			for _, f := range d.FiredRules {
				fired = append(fired, f.ID)
			}
			for _, e := range d.RuleErrors {
				errs = append(errs, e.RuleID)
			}
			if !reflect.DeepEqual(fired, tc.fired) {
				t.Errorf("fired %v, want %v", fired, tc.fired)
			}
			if !reflect.DeepEqual(errs, tc.errs) {
				t.Errorf("rule errors %v (%+v), want %v", errs, d.RuleErrors, tc.errs)
			}
		})
	}
}
