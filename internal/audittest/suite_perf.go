package audittest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// PerfTrace is a trace of policy with the given outcome and fired rules,
// in its own session and user unless set later.
func PerfTrace(i int, policy string, outcome engine.Outcome, rules ...string) *audit.Trace {
	tr := SampleTrace(i)
	tr.Policy.Name, tr.Outcome = policy, outcome
	tr.SessionID, tr.UserID = "perf-sess-"+itoa(i), "perf-user-"+itoa(i)
	tr.FiredRules = []engine.FiredRule{}
	for _, r := range rules {
		tr.FiredRules = append(tr.FiredRules, engine.FiredRule{ID: r, Action: outcome})
	}
	if len(rules) == 0 {
		tr.Reason = engine.ReasonDefault
	}
	return tr
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func testPerformance(t *testing.T, newURL NewURL) {
	s, _, lb := MustLoop(t, newURL(t), audit.Options{})
	pr, ok := s.(audit.PerformanceReader)
	if !ok {
		t.Fatalf("%T is not an audit.PerformanceReader", s)
	}
	ctx := context.Background()
	d1 := PerfTrace(1, "checkout", engine.Deny, "A")
	d2 := PerfTrace(2, "checkout", engine.Review, "A", "B")
	d3 := PerfTrace(3, "checkout", engine.Review, "B")
	d4 := PerfTrace(4, "checkout", engine.Allow)
	d5 := PerfTrace(5, "checkout", engine.Deny, "A")
	d6 := PerfTrace(6, "payout", engine.Deny, "C")
	MustAppend(t, s, d1, d2, d3, d4, d5, d6)
	res, err := lb.AddLabels(ctx, []audit.Label{
		{Target: audit.TargetDecision, Value: d1.ID, Label: audit.LabelFraud},
		{Target: audit.TargetDecision, Value: d2.ID, Label: audit.LabelLegitimate},
		{Target: audit.TargetSession, Value: d3.SessionID, Label: audit.LabelFraud, OccurredAt: d3.DecidedAt.Add(time.Hour)},
		// before d5 was decided: it does not apply
		{Target: audit.TargetUser, Value: d5.UserID, Label: audit.LabelFraud, OccurredAt: d5.DecidedAt.Add(-time.Second)},
		{Target: audit.TargetDecision, Value: d6.ID, Label: audit.LabelFraud},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("label %d: %v", i, r.Err)
		}
	}
	p, err := pr.RulePerformance(ctx, audit.PerfFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Decisions != 6 || p.Labels != 5 {
		t.Fatalf("decisions %d, labels %d; want 6, 5", p.Decisions, p.Labels)
	}
	f := func(v float64) *float64 { return &v }
	want := []audit.RulePerf{
		{Policy: "checkout", RuleID: "A", Fires: 3, FiresFraud: 1, FiresLegitimate: 1, Precision: f(0.5), Recall: f(0.5),
			SoleFires: 2, SoleFiresFraud: 1, SolePrecision: f(1), SoleRecall: f(0.5), FraudCredit: 1, LegitimateCredit: 0.5},
		{Policy: "checkout", RuleID: "B", Fires: 2, FiresFraud: 1, FiresLegitimate: 1, Precision: f(0.5), Recall: f(0.5),
			SoleFires: 1, SoleFiresFraud: 1, SolePrecision: f(1), SoleRecall: f(0.5), FraudCredit: 1, LegitimateCredit: 0.5},
		{Policy: "payout", RuleID: "C", Fires: 1, FiresFraud: 1, Precision: f(1), Recall: f(1),
			SoleFires: 1, SoleFiresFraud: 1, SolePrecision: f(1), SoleRecall: f(1), FraudCredit: 1},
	}
	gotJSON, _ := json.Marshal(p.Rules)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("rules\n got %s\nwant %s", gotJSON, wantJSON)
	}
	if len(p.Policies) != 2 {
		t.Fatalf("policies: %+v", p.Policies)
	}
	co := p.Policies[0]
	wantMatrix := map[engine.Outcome]audit.LabelCounts{
		engine.Deny: {Fraud: 1, Unlabelled: 1}, engine.Review: {Fraud: 1, Legitimate: 1}, engine.Allow: {Unlabelled: 1},
	}
	gm, _ := json.Marshal(co.Matrix)
	wm, _ := json.Marshal(wantMatrix)
	if co.Policy != "checkout" || co.Decisions != 5 || co.LabelledFraud != 2 || co.LabelledLegitimate != 1 || string(gm) != string(wm) {
		t.Fatalf("checkout: %+v matrix %s, want matrix %s", co, gm, wm)
	}
	t.Run("policy filter", func(t *testing.T) {
		p, err := pr.RulePerformance(ctx, audit.PerfFilter{Policy: "payout"})
		if err != nil || p.Decisions != 1 || len(p.Rules) != 1 || p.Rules[0].RuleID != "C" {
			t.Fatalf("payout only: %+v, %v", p, err)
		}
	})
	t.Run("window", func(t *testing.T) {
		p, err := pr.RulePerformance(ctx, audit.PerfFilter{Since: d4.DecidedAt, Until: d6.DecidedAt})
		if err != nil || p.Decisions != 2 {
			t.Fatalf("[d4, d6): %+v, %v; want 2 decisions", p, err)
		}
		if _, err := pr.RulePerformance(ctx, audit.PerfFilter{Since: d6.DecidedAt, Until: d4.DecidedAt}); err == nil {
			t.Fatal("since after until: no error")
		}
	})
}
