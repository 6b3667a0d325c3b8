package audit

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// LabelSource is implemented by stores that say which label is in force on
// each labelled decision (both shipped stores): replay then counts how the
// candidate treats known fraud and known good customers.
type LabelSource interface {
	LabelsInForce(ctx context.Context, since, until time.Time) (map[string]string, error)
}

// LabelBacktest is the label-aware part of a replay: among the replayed
// decisions that carry a label, what the live policy (as stored) and the
// candidate did with fraud and with legitimate customers, and the
// candidate's per-rule precision against the labels.
type LabelBacktest struct {
	Fraud      int64         `json:"fraud"`      // replayed decisions labelled fraud
	Legitimate int64         `json:"legitimate"` // replayed decisions labelled legitimate
	Live       LabelOutcomes `json:"live"`
	Candidate  LabelOutcomes `json:"candidate"`
	// CandidateRules is each candidate rule against the labels (precision,
	// recall, ...), as GET /v1/rules/performance counts them.
	CandidateRules []RulePerf `json:"candidate_rules"`
}

// LabelOutcomes counts labelled decisions by what one side decided.
type LabelOutcomes struct {
	FraudDenied        int64 `json:"fraud_denied"`
	FraudReviewed      int64 `json:"fraud_reviewed"`
	FraudAllowed       int64 `json:"fraud_allowed"`
	LegitimateDenied   int64 `json:"legitimate_denied"`
	LegitimateReviewed int64 `json:"legitimate_reviewed"`
	LegitimateAllowed  int64 `json:"legitimate_allowed"`
}

func (o *LabelOutcomes) add(label string, out engine.Outcome) {
	switch {
	case label == LabelFraud && out == engine.Deny:
		o.FraudDenied++
	case label == LabelFraud && out == engine.Review:
		o.FraudReviewed++
	case label == LabelFraud:
		o.FraudAllowed++
	case out == engine.Deny:
		o.LegitimateDenied++
	case out == engine.Review:
		o.LegitimateReviewed++
	default:
		o.LegitimateAllowed++
	}
}

func (o *LabelOutcomes) merge(x LabelOutcomes) {
	o.FraudDenied += x.FraudDenied
	o.FraudReviewed += x.FraudReviewed
	o.FraudAllowed += x.FraudAllowed
	o.LegitimateDenied += x.LegitimateDenied
	o.LegitimateReviewed += x.LegitimateReviewed
	o.LegitimateAllowed += x.LegitimateAllowed
}

// labelTally is one replay worker's label counts.
type labelTally struct {
	labels          map[string]string // decision id -> label in force; shared, read-only
	fraud, legit    int64
	live, candidate LabelOutcomes
	rules           *PerfTally
}

func newLabelTally(labels map[string]string) *labelTally {
	return &labelTally{labels: labels, rules: NewPerfTally()}
}

// add counts one replayed decision.
func (t *labelTally) add(id string, stored engine.Outcome, cand engine.Decision, candIDs []string) {
	label := t.labels[id]
	t.rules.Add(cand.Policy.Name, cand.Outcome, dedupe(candIDs), label)
	if label == "" {
		return
	}
	if label == LabelFraud {
		t.fraud++
	} else {
		t.legit++
	}
	t.live.add(label, stored)
	t.candidate.add(label, cand.Outcome)
}

func dedupe(ids []string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		out = appendOnce(out, id)
	}
	return out
}

func (t *labelTally) merge(o *labelTally) {
	t.fraud += o.fraud
	t.legit += o.legit
	t.live.merge(o.live)
	t.candidate.merge(o.candidate)
	t.rules.Merge(o.rules)
}

func (t *labelTally) report() *LabelBacktest {
	rules, _ := t.rules.Result()
	return &LabelBacktest{Fraud: t.fraud, Legitimate: t.legit, Live: t.live, Candidate: t.candidate, CandidateRules: rules}
}

// writeText prints the label-aware part for a risk analyst: how much more
// fraud, how many good customers.
func (l *LabelBacktest) writeText(b *strings.Builder) {
	fmt.Fprintf(b, "\nAgainst the labels: %d labelled fraud, %d labelled legitimate\n", l.Fraud, l.Legitimate)
	tw := tabwriter.NewWriter(b, 2, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "  \tlive\tcandidate\tchange")
	row := func(name string, live, cand int64) {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%+d\n", name, live, cand, cand-live)
	}
	row("fraud denied", l.Live.FraudDenied, l.Candidate.FraudDenied)
	row("fraud sent to review", l.Live.FraudReviewed, l.Candidate.FraudReviewed)
	row("fraud allowed", l.Live.FraudAllowed, l.Candidate.FraudAllowed)
	row("legitimate denied", l.Live.LegitimateDenied, l.Candidate.LegitimateDenied)
	row("legitimate sent to review", l.Live.LegitimateReviewed, l.Candidate.LegitimateReviewed)
	tw.Flush()
	if len(l.CandidateRules) == 0 {
		return
	}
	b.WriteString("\nCandidate rules against the labels\n")
	tw = tabwriter.NewWriter(b, 2, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "  policy\trule\tfires\tfraud\tlegitimate\tprecision\trecall")
	for _, r := range l.CandidateRules {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%s\t%s\n", r.Policy, r.RuleID, r.Fires, r.FiresFraud, r.FiresLegitimate, ratioText(r.Precision), ratioText(r.Recall))
	}
	tw.Flush()
}

func ratioText(v *float64) string {
	if v == nil {
		return "-"
	}
	return pct(*v)
}
