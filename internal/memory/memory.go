// Package memory is what serve's decisions read beyond their report: the
// in-memory lists (internal/lists) and counters (internal/counters) over
// the decision log, behind the pipeline's decision.Memory seam.
package memory

import (
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/internal/lists"
)

// Memory reads lists and counters for decisions and counts recorded ones.
type Memory struct {
	Lists    *lists.Memory      // nil: no list holds anything
	Counters *counters.Counters // nil: every counter reads 0
}

var _ decision.Memory = (*Memory)(nil)

// Read hands the decision the lists as of its time and the value of every
// counter the live and shadow policies declare, for the decision's key.
func (m *Memory) Read(f *engine.Facts, live, shadow *engine.Policy) {
	if m.Lists != nil && (len(live.Lists()) > 0 || shadow != nil && len(shadow.Lists()) > 0) {
		f.Lists = m.Lists.At(f.Now)
	}
	n := len(live.Counters())
	if shadow != nil {
		n += len(shadow.Counters())
	}
	if n == 0 {
		return
	}
	vals := make(map[string]engine.CounterValue, n)
	m.readCounters(vals, live, f)
	if shadow != nil {
		m.readCounters(vals, shadow, f)
	}
	f.Counters = vals
}

func (m *Memory) readCounters(vals map[string]engine.CounterValue, p *engine.Policy, f *engine.Facts) {
	decls := p.Counters()
	for i := range decls {
		d := &decls[i]
		if _, done := vals[d.Name]; done {
			continue
		}
		// Counters of one key expression (user_id, say) share its value:
		// the expression runs once per decision, not once per counter.
		key, ok := "", false
		shared := false
		for j := range i {
			if decls[j].KeyExpr == d.KeyExpr {
				cv := vals[decls[j].Name]
				key, ok, shared = cv.Key, !cv.KeyMissing, true
				break
			}
		}
		if !shared {
			key, ok = d.Key(*f)
		}
		cv := engine.CounterValue{Key: key, KeyMissing: !ok}
		if ok && m.Counters != nil {
			cv.Value, _ = m.Counters.Value(d, key, f.Now)
		}
		vals[d.Name] = cv
	}
}

// Recorded adds a decision whose trace is durable to every counter.
func (m *Memory) Recorded(r *decision.Result) {
	if m.Counters == nil || r.Report == nil {
		return
	}
	m.Counters.Observe(r.DecisionID, PastOf(r))
}

// PastOf is a decision as counters read it once recorded: the live
// policy's outcome (what it decided, also in monitor-only mode), its fired
// rules, report and context, at its time.
func PastOf(r *decision.Result) engine.PastDecision {
	ids := make([]string, len(r.Live.FiredRules))
	for i, f := range r.Live.FiredRules {
		ids[i] = f.ID
	}
	return engine.PastDecision{Outcome: r.Live.Outcome, FiredRules: ids, Report: r.Report, Context: r.ContextValues, DecidedAt: r.DecidedAt}
}
