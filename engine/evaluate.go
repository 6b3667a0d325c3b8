package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/verdicthq/verdict/report"
)

// Facts are what one evaluation reads: the report, the caller's context and
// the decision's time, which now() in an expression returns.
type Facts struct {
	Report  *report.Report // nil when the report could not be had: the decision is on_error
	Context map[string]any // the caller's context; nil when absent
	// Now is the decision's time (the request's in serve, the stored
	// decided_at in replay): now() in every rule of the decision returns it,
	// so the same facts always give the same decision. The zero time stands
	// for "now": Evaluate then reads the clock once, time.Now().UTC(), for the
	// whole decision. The pipeline always sets it.
	Now time.Time
	// Lists answers the memberships rules ask (x in lists.name); nil when
	// the policy reads no list (a rule that asks one then fails).
	Lists Lists
	// Counters are the values of the counters the policy reads, by name
	// (CounterDecl.Name); a counter the policy reads that is absent fails
	// the decision to on_error.
	Counters map[string]CounterValue
}

// Evaluate decides over a report and the caller's context. Rules run against
// the report's fields, the context and the policy's variables; the strategy
// combines the actions of the rules that fire, and the default applies when
// none does. A rule that fails at run time is recorded in RuleErrors and the
// reason is on_error. A failure never weakens a rule that fired: with
// most_severe every rule still runs and the outcome is the most severe of the
// fired actions and on_error; with first_match evaluation stops at the failing
// rule (the first match is unknowable) and the outcome is on_error. Under
// score every rule runs, the fired rules' scores add up into Decision.Score,
// and the bands decide unless a fired rule has an action (then the most
// severe fired action decides). Rules read lists through in.Lists and
// counters from in.Counters; every membership asked and every counter value
// read goes into Decision.Memory. A context that does not match the declared
// fields, a counter the rules read that in.Counters lacks, or no report,
// gives on_error with no rules run. So does an input larger than the
// policy's static cost assumes (an InputError: a text over
// Limits.InputString, a list or map over InputItems); and a rule whose loops
// run past the decision's budget (the guard, see guard.go) fails like any
// rule error. Evaluate never panics and is safe for concurrent use.
func (p *Policy) Evaluate(in Facts) (d Decision) {
	r, ctx := in.Report, in.Context
	d = Decision{Policy: p.Ref(), FiredRules: []FiredRule{}}
	defer func() {
		if v := recover(); v != nil {
			d.RuleErrors = append(d.RuleErrors, RuleError{Message: fmt.Sprintf("internal error: %v", v)})
			d.Outcome, d.Reason = p.onErrorOutcome(d.FiredRules), ReasonOnError
		}
	}()
	if r == nil {
		d.Outcome, d.Reason = p.onError, ReasonOnError
		d.RuleErrors = []RuleError{{Message: "no report"}}
		return d
	}
	ev := p.pool.Get().(*evaluator)
	ev.guard.n = 0
	now := in.Now
	if now.IsZero() && p.layout.now { // the clock is read only for a policy that calls now()
		now = time.Now().UTC()
	}
	ev.startMemory(&p.layout, in.Lists)
	err := p.layout.fill(ev.env, r, ctx, now)
	if err == nil && len(p.layout.counters) > 0 {
		err = p.layout.fillCounters(ev.env, in.Counters, ev.counterReads)
	}
	if err != nil {
		ev.lists = nil
		p.pool.Put(ev)
		d.Outcome, d.Reason = p.onError, ReasonOnError
		d.RuleErrors = []RuleError{{Message: err.Error()}}
		return d
	}

	worst, total := Outcome(""), 0
	for _, ru := range p.rules {
		ev.ruleStart = len(ev.listReads)
		out, err := ev.vm.Run(ru.prog, ev.env)
		if err != nil {
			d.RuleErrors = append(d.RuleErrors, RuleError{RuleID: ru.id, Message: runtimeMessage(err), Position: ru.pos})
			if p.strategy == StrategyFirstMatch {
				break // an earlier rule's error means the first match is unknowable
			}
			continue
		}
		fired, ok := out.(bool)
		if !ok {
			d.RuleErrors = append(d.RuleErrors, RuleError{RuleID: ru.id, Message: fmt.Sprintf("when gave %T, not true or false", out), Position: ru.pos})
			if p.strategy == StrategyFirstMatch {
				break
			}
			continue
		}
		if !fired {
			continue
		}
		d.FiredRules = ru.explain(d.FiredRules, ev)
		if ru.score != nil {
			total += *ru.score
		}
		if ru.action.Severity() > worst.Severity() {
			worst = ru.action
		}
		if p.strategy == StrategyFirstMatch {
			break
		}
	}
	d.Memory = ev.memory(&p.layout)
	p.pool.Put(ev) // not deferred: an evaluator a panic left behind is dropped
	if p.strategy == StrategyScore {
		d.Score = &total
	}
	switch {
	case len(d.RuleErrors) > 0:
		d.Outcome, d.Reason = p.onErrorOutcome(d.FiredRules), ReasonOnError
	case p.strategy == StrategyScore && worst == "":
		d.Outcome, d.Reason = p.bands.outcome(total, p.def)
	case len(d.FiredRules) > 0:
		d.Outcome, d.Reason = worst, ReasonRules
	default:
		d.Outcome, d.Reason = p.def, ReasonDefault
	}
	return d
}

// onErrorOutcome is the outcome of a decision in which a rule failed: the most
// severe of on_error and the actions of the rules that fired before or despite
// the failure, so an error can never weaken a deny to review. Under first_match
// no rule has fired when a rule fails (evaluation stops at either), so this is
// on_error.
func (p *Policy) onErrorOutcome(fired []FiredRule) Outcome {
	out := p.onError
	for _, f := range fired {
		if f.Action.Severity() > out.Severity() {
			out = f.Action
		}
	}
	return out
}

// runtimeMessage is an expr run-time error on one line, without expr's
// source snippet (the position is the rule's).
func runtimeMessage(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fe.Message
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}
