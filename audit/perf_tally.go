package audit

import (
	"sort"

	"github.com/verdicthq/verdict/engine"
)

// PerfTally counts rule performance decision by decision: the one pass
// behind GET /v1/rules/performance, and the candidate's side of a
// label-aware backtest.
type PerfTally struct {
	rules    map[ruleKey]*RulePerf
	policies map[string]*PolicyPerf
	n        int64
}

type ruleKey struct{ policy, rule string }

// NewPerfTally returns an empty tally.
func NewPerfTally() *PerfTally {
	return &PerfTally{rules: map[ruleKey]*RulePerf{}, policies: map[string]*PolicyPerf{}}
}

// Add counts one decision: its policy, the policy's outcome, the ids of the
// rules that fired (each once) and the label in force ("" for none).
func (p *PerfTally) Add(policy string, outcome engine.Outcome, fired []string, label string) {
	p.AddN(policy, outcome, fired, label, 1)
}

// AddN counts n decisions alike (n may be negative, to take back decisions
// counted unlabelled before their label was known).
func (p *PerfTally) AddN(policy string, outcome engine.Outcome, fired []string, label string, n int64) {
	p.n += n
	pp := p.policies[policy]
	if pp == nil {
		pp = &PolicyPerf{Policy: policy, Matrix: map[engine.Outcome]LabelCounts{}}
		p.policies[policy] = pp
	}
	pp.Decisions += n
	lc := pp.Matrix[outcome]
	fraud, legit := label == LabelFraud, label == LabelLegitimate
	switch {
	case fraud:
		lc.Fraud += n
		pp.LabelledFraud += n
	case legit:
		lc.Legitimate += n
		pp.LabelledLegitimate += n
	default:
		lc.Unlabelled += n
	}
	pp.Matrix[outcome] = lc
	sole := len(fired) == 1
	share := 0.0
	if len(fired) > 0 {
		share = float64(n) / float64(len(fired))
	}
	for _, id := range fired {
		k := ruleKey{policy, id}
		r := p.rules[k]
		if r == nil {
			r = &RulePerf{Policy: policy, RuleID: id}
			p.rules[k] = r
		}
		r.Fires += n
		if sole {
			r.SoleFires += n
		}
		switch {
		case fraud:
			r.FiresFraud += n
			r.FraudCredit += share
			if sole {
				r.SoleFiresFraud += n
			}
		case legit:
			r.FiresLegitimate += n
			r.LegitimateCredit += share
			if sole {
				r.SoleFiresLegitimate += n
			}
		}
	}
}

// Decisions is how many decisions were added.
func (p *PerfTally) Decisions() int64 { return p.n }

// Result finishes the ratios: rules by policy, then fires (most first),
// then id; policies by name.
func (p *PerfTally) Result() ([]RulePerf, []PolicyPerf) {
	rules := make([]RulePerf, 0, len(p.rules))
	for _, r := range p.rules {
		pol := p.policies[r.Policy]
		r.Precision = ratio(r.FiresFraud, r.FiresFraud+r.FiresLegitimate)
		r.Recall = ratio(r.FiresFraud, pol.LabelledFraud)
		r.SolePrecision = ratio(r.SoleFiresFraud, r.SoleFiresFraud+r.SoleFiresLegitimate)
		r.SoleRecall = ratio(r.SoleFiresFraud, pol.LabelledFraud)
		rules = append(rules, *r)
	}
	sort.Slice(rules, func(i, j int) bool {
		a, b := rules[i], rules[j]
		if a.Policy != b.Policy {
			return a.Policy < b.Policy
		}
		if a.Fires != b.Fires {
			return a.Fires > b.Fires
		}
		return a.RuleID < b.RuleID
	})
	policies := make([]PolicyPerf, 0, len(p.policies))
	for _, pp := range p.policies {
		policies = append(policies, *pp)
	}
	sort.Slice(policies, func(i, j int) bool { return policies[i].Policy < policies[j].Policy })
	return rules, policies
}

// ratio is num/den, or nil when den is 0.
func ratio(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	v := float64(num) / float64(den)
	return &v
}

// Merge adds another tally's counts (ratios are computed by Result).
func (p *PerfTally) Merge(o *PerfTally) {
	p.n += o.n
	for name, op := range o.policies {
		pp := p.policies[name]
		if pp == nil {
			pp = &PolicyPerf{Policy: name, Matrix: map[engine.Outcome]LabelCounts{}}
			p.policies[name] = pp
		}
		pp.Decisions += op.Decisions
		pp.LabelledFraud += op.LabelledFraud
		pp.LabelledLegitimate += op.LabelledLegitimate
		for out, c := range op.Matrix {
			m := pp.Matrix[out]
			m.Fraud, m.Legitimate, m.Unlabelled = m.Fraud+c.Fraud, m.Legitimate+c.Legitimate, m.Unlabelled+c.Unlabelled
			pp.Matrix[out] = m
		}
	}
	for k, or := range o.rules {
		r := p.rules[k]
		if r == nil {
			r = &RulePerf{Policy: or.Policy, RuleID: or.RuleID}
			p.rules[k] = r
		}
		r.Fires += or.Fires
		r.FiresFraud += or.FiresFraud
		r.FiresLegitimate += or.FiresLegitimate
		r.SoleFires += or.SoleFires
		r.SoleFiresFraud += or.SoleFiresFraud
		r.SoleFiresLegitimate += or.SoleFiresLegitimate
		r.FraudCredit += or.FraudCredit
		r.LegitimateCredit += or.LegitimateCredit
	}
}
