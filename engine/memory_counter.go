package engine

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/verdicthq/verdict/report"
)

// counterProgs are a counter's compiled expressions and the pooled VMs and
// envs that run them.
type counterProgs struct {
	agg               string
	key, where, value *vm.Program // where and value nil when absent
	layout            layout      // what the three read
	pool              sync.Pool   // of *counterEval
	guardLimit        int64       // the loop budget of one decision's expressions
}

// counterEval is a VM and env for a counter's expressions.
type counterEval struct {
	vm    vm.VM
	env   map[string]any
	guard guard
	past  *PastDecision // the decision a where is asked about
}

func (cp *counterProgs) init(lim Limits) {
	cp.guardLimit = lim.Cost / 6
	cp.pool.New = func() any { return newCounterEval(cp.layout.size(), cp.guardLimit) }
}

// newCounterEval returns an evaluator whose env holds size keys.
func newCounterEval(size int, guardLimit int64) *counterEval {
	ev := &counterEval{vm: vm.VM{MemoryBudget: MemoryBudget}, env: make(map[string]any, size+2)}
	ev.guard.limit = guardLimit
	ev.env[guardKey] = &ev.guard
	ev.env[nameFired] = firedFunc(func(id string) bool {
		if ev.past == nil {
			return false
		}
		for _, f := range ev.past.FiredRules {
			if f == id {
				return true
			}
		}
		return false
	})
	return ev
}

// Key returns the counter's key for the decision over f: its key expression
// over the report and context, as text. ok is false when the key is missing
// (no report, the expression gives nil or "", fails, or gives a value that is
// not a text, a number or a bool): the counter then reads 0 and the trace
// says so.
func (c *CounterDecl) Key(f Facts) (key string, ok bool) {
	if c.prog == nil || f.Report == nil {
		return "", false
	}
	ev := c.prog.get(f.Report, f.Context, f.Now)
	if ev == nil {
		return "", false
	}
	defer c.prog.pool.Put(ev)
	return c.prog.keyOf(ev)
}

// Contribution is what a recorded decision adds to the counter: its key, and
// the value that counts (for count, the int 1; for distinct, the value as
// text; for sum and max, a float64). ok is false when the decision does not
// count: it had no report, its where is false or fails, it has no key, or
// its value is missing or of the wrong type.
func (c *CounterDecl) Contribution(past PastDecision) (key string, value any, ok bool) {
	if c.prog == nil || past.Report == nil {
		return "", nil, false
	}
	cp := c.prog
	ev := cp.get(past.Report, past.Context, past.DecidedAt)
	if ev == nil {
		return "", nil, false
	}
	defer cp.pool.Put(ev)
	return cp.contribute(ev, &past)
}

// contribute runs the counter's where, key and value over an env filled
// with past's report, context and time (by cp's layout or a wider one).
func (cp *counterProgs) contribute(ev *counterEval, past *PastDecision) (key string, value any, ok bool) {
	ev.guard.n = 0
	if cp.where != nil {
		ev.past = past
		ev.env[nameOutcome] = string(past.Outcome)
		out, err := ev.vm.Run(cp.where, ev.env)
		ev.past = nil
		if b, isBool := out.(bool); err != nil || !isBool || !b {
			return "", nil, false
		}
	}
	key, ok = cp.keyOf(ev)
	if !ok {
		return "", nil, false
	}
	switch cp.agg {
	case AggCount:
		return key, 1, true
	case AggDistinct:
		v, err := ev.vm.Run(cp.value, ev.env)
		s, ok := keyText(v)
		if err != nil || !ok {
			return "", nil, false
		}
		return key, s, true
	}
	v, err := ev.vm.Run(cp.value, ev.env)
	f, ok := number(v)
	if err != nil || !ok {
		return "", nil, false
	}
	return key, f, true
}

// get fills a pooled env with a decision's report, context and time; nil
// when the context does not fit the declared fields or the input limits.
func (cp *counterProgs) get(r *report.Report, ctx map[string]any, now time.Time) *counterEval {
	ev := cp.pool.Get().(*counterEval)
	ev.guard.n = 0
	if now.IsZero() {
		now = time.Now().UTC()
	}
	if err := cp.layout.fill(ev.env, r, ctx, now); err != nil {
		cp.pool.Put(ev)
		return nil
	}
	return ev
}

func (cp *counterProgs) keyOf(ev *counterEval) (string, bool) {
	v, err := ev.vm.Run(cp.key, ev.env)
	if err != nil {
		return "", false
	}
	return keyText(v)
}

// keyText is a key or distinct value as text: a non-empty text as it is, a
// number in its shortest decimal form, a bool as true or false.
func keyText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// number is a sum or max value as a float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return 0, false
}

// String is the counter as a policy declares it, for messages.
func (c *CounterDecl) String() string {
	return fmt.Sprintf("%s (%s)", c.Name, c.Definition)
}

// ReadsReportOnly reports whether the counter's key, where and value
// expressions read no field of the report but those named (e.g. "user_id"
// or "risk_score", which the decision log keeps in columns of their own;
// "checks" names every documented check read by name, as
// device_checks.vpn): backfill then need not read the stored reports at
// all. The context, the outcome, fired() and now() are not report fields.
func (c *CounterDecl) ReadsReportOnly(fields ...string) bool {
	if c.prog == nil {
		return false
	}
	l := &c.prog.layout
	if l.score && !slices.Contains(fields, "risk_score") {
		return false
	}
	for _, ch := range l.checks {
		if ch.index < 0 || !slices.Contains(fields, "checks") {
			return false
		}
	}
	for _, r := range l.roots {
		if r == nameContext {
			continue
		}
		if !slices.Contains(fields, r) {
			return false
		}
	}
	return true
}

// ReadsChecks reports whether the counter's key, where or value expressions
// read a device or biometric check. One that does not reads only the
// report's top-level fields, so a report decoded with report.DecodeScalars
// gives it what the full decode would (backfill decodes that way).
func (c *CounterDecl) ReadsChecks() bool {
	if c.prog == nil {
		return true
	}
	l := &c.prog.layout
	if len(l.checks) > 0 {
		return true
	}
	for _, r := range l.roots {
		if r == nameDevice || r == nameBiometric {
			return true
		}
	}
	return false
}
