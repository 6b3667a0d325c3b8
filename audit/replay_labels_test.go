package audit_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
)

// TestReplayCountsLabels: a backtest says, for live and candidate, what each
// did with labelled fraud and labelled legitimate decisions, and scores the
// candidate's rules against the labels.
func TestReplayCountsLabels(t *testing.T) {
	s := audittest.MustOpen(t, filepath.Join(t.TempDir(), "verdict.db"), audit.Options{})
	d1, d2, d3, d4 := audittest.SampleTrace(2), audittest.SampleTrace(0), audittest.SampleTrace(5), audittest.SampleTrace(8)
	d2.SessionID = "fraud-session"
	audittest.MustAppend(t, s, d1, d2, d3, d4) // stored: deny, allow, deny, deny
	ctx := context.Background()
	res, err := s.(audit.Labels).AddLabels(ctx, []audit.Label{
		{Target: audit.TargetDecision, Value: d1.ID, Label: audit.LabelFraud, Reason: "chargeback"},
		{Target: audit.TargetSession, Value: "fraud-session", Label: audit.LabelFraud, OccurredAt: d2.DecidedAt.Add(1)},
		{Target: audit.TargetDecision, Value: d3.ID, Label: audit.LabelLegitimate, Reason: "customer_report"},
	})
	if err != nil || res[0].Err != nil || res[1].Err != nil || res[2].Err != nil {
		t.Fatalf("labels: %v %+v", err, res)
	}
	candidate := map[string]engine.Outcome{d1.ID: engine.Allow, d2.ID: engine.Deny, d3.ID: engine.Deny, d4.ID: engine.Deny}
	decide := func(in audit.ReplayInput) engine.Decision {
		d := engine.Decision{Policy: engine.PolicyRef{Name: "checkout", Version: "candidate"}, Outcome: candidate[in.ID]}
		if d.Outcome == engine.Deny {
			d.FiredRules = []engine.FiredRule{{ID: "new-rule", Action: engine.Deny}}
		}
		return d
	}
	rep, err := audit.Replay(ctx, s, decide, audit.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l := rep.Labels
	if l == nil {
		t.Fatal("no label section")
	}
	wantLive := audit.LabelOutcomes{FraudDenied: 1, FraudAllowed: 1, LegitimateDenied: 1}
	wantCand := audit.LabelOutcomes{FraudDenied: 1, FraudAllowed: 1, LegitimateDenied: 1}
	if l.Fraud != 2 || l.Legitimate != 1 || l.Live != wantLive || l.Candidate != wantCand {
		t.Fatalf("labels: %+v", l)
	}
	if len(l.CandidateRules) != 1 {
		t.Fatalf("candidate rules: %+v", l.CandidateRules)
	}
	r := l.CandidateRules[0]
	if r.RuleID != "new-rule" || r.Fires != 3 || r.FiresFraud != 1 || r.FiresLegitimate != 1 || r.Precision == nil || *r.Precision != 0.5 ||
		r.Recall == nil || *r.Recall != 0.5 {
		t.Fatalf("candidate rule: %+v", r)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Against the labels: 2 labelled fraud, 1 labelled legitimate", "fraud denied", "legitimate denied", "new-rule", "50.0%"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}
