package engine

// Limits bound what one policy may ask of loading and of each decision. A
// policy over any of them does not load: the error names the limit and where
// the policy exceeds it. DefaultLimits holds the defaults; ParsePolicy,
// LoadDir and LoadFiles use them, and the methods of the same names on a
// Limits value use that value instead.
type Limits struct {
	// FileBytes is the largest policy file, in bytes.
	FileBytes int
	// ExprChars is the longest expression (a when or a variable), in
	// characters.
	ExprChars int
	// Nesting is the deepest nesting of brackets, prefix operators and
	// conditionals in an expression, checked on the text before any parser
	// sees it; at most MaxNesting, whatever is asked, since expr's parser
	// recurses once per level.
	Nesting int
	// Variables is the most variables a policy may define.
	Variables int
	// Rules is the most rules a policy may have.
	Rules int
	// ContextFields is the most context fields a policy may declare.
	ContextFields int
	// Nodes is the largest expression once its variables are written out,
	// in syntax-tree nodes.
	Nodes int
	// TotalNodes is the most syntax-tree nodes a policy may compile: every
	// variable's own, and every rule's with its variables written out. It
	// bounds the time a policy takes to load (about 3 µs of CPU a node).
	TotalNodes int
	// Cost is the most work one decision may take: the static worst-case cost
	// of every rule summed (see cost.go), in cost units (about one VM step
	// each; on the 2-core development machine, loaded, a unit took 4 to 11
	// ns, so the default of 2,000,000 stays within 25 ms of CPU per decision,
	// half the 50 ms budget; see docs/bench-engine.md).
	Cost int64
	// Memory is the most one decision may allocate in the worst case, in
	// bytes, summed over every rule.
	Memory int64
	// InputString and InputItems are what the static cost assumes of the
	// report and the context: no text longer than InputString bytes, no list
	// or map of more than InputItems entries. A decision whose inputs are
	// larger is not evaluated: it ends in on_error, saying which input.
	InputString int
	InputItems  int
	// CounterBytes is the memory all counters may take, in bytes
	// (internal/counters' budget); a set whose counters cannot each hold
	// one key at CounterEventsPerKey within it does not load.
	CounterBytes int64
	// CounterEventsPerKey is the most decisions one key of one counter
	// keeps within its window (the per-key cap).
	CounterEventsPerKey int
}

// DefaultLimits are the limits a policy loads under unless the caller gives
// others.
var DefaultLimits = Limits{
	FileBytes:     1 << 20,
	ExprChars:     10_000,
	Nesting:       100,
	Variables:     5_000,
	Rules:         5_000,
	ContextFields: 1_000,
	Nodes:         MaxNodes,
	TotalNodes:    100_000,
	Cost:          2_000_000,
	Memory:        16 << 20,
	InputString:   64 << 10,
	InputItems:    1_000,

	CounterBytes:        DefaultCounterBytes,
	CounterEventsPerKey: DefaultCounterEventsPerKey,
}

// MaxNesting is the most Limits.Nesting may be.
const MaxNesting = 10_000

// WithDefaults returns l with its zero fields taken from DefaultLimits (and
// Nesting capped at MaxNesting), as every load sees it.
func (l Limits) WithDefaults() Limits { return l.orDefault() }

// orDefault fills the zero fields of l from DefaultLimits, and caps Nesting
// at MaxNesting.
func (l Limits) orDefault() Limits {
	d := DefaultLimits
	pick := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	pick64 := func(v, def int64) int64 {
		if v > 0 {
			return v
		}
		return def
	}
	return Limits{
		FileBytes: pick(l.FileBytes, d.FileBytes), ExprChars: pick(l.ExprChars, d.ExprChars),
		Nesting: min(pick(l.Nesting, d.Nesting), MaxNesting), Variables: pick(l.Variables, d.Variables),
		Rules: pick(l.Rules, d.Rules), ContextFields: pick(l.ContextFields, d.ContextFields), Nodes: pick(l.Nodes, d.Nodes), TotalNodes: pick(l.TotalNodes, d.TotalNodes),
		Cost: pick64(l.Cost, d.Cost), Memory: pick64(l.Memory, d.Memory),
		InputString: pick(l.InputString, d.InputString), InputItems: pick(l.InputItems, d.InputItems),
		CounterBytes: pick64(l.CounterBytes, d.CounterBytes), CounterEventsPerKey: pick(l.CounterEventsPerKey, d.CounterEventsPerKey),
	}
}
