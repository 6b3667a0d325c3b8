package engine

import (
	"fmt"
	"strings"
)

// Memory costs of a counter, in bytes, as internal/counters estimates them.
const (
	// CounterEventBytes is one recorded decision in one key's window.
	CounterEventBytes = 16
	// CounterKeyBytes is a key's map entry, series header and slice header,
	// beside the key's text.
	CounterKeyBytes = 112
)

// Default counter bounds (Limits.CounterBytes, Limits.CounterEventsPerKey).
const (
	DefaultCounterBytes        = 512 << 20
	DefaultCounterEventsPerKey = 10_000
)

// CounterKeyCap is what one key of one counter may take at most under lim:
// CounterEventsPerKey events and the key's overhead (its text aside).
func (lim Limits) CounterKeyCap() int64 {
	lim = lim.orDefault()
	return int64(lim.CounterEventsPerKey)*CounterEventBytes + CounterKeyBytes
}

// checkCounterBudget refuses a set whose counters cannot fit the counter
// budget: every counter must be able to hold at least one key at its cap
// (Limits.CounterKeyCap), so the set's counters together need at least
// that much each. The error names the first counter, in the order the set
// lists them, past the budget. How much the counters take beyond that
// depends on the decision log (how many keys a window holds), and is
// checked when they are built from it (internal/counters).
func (s *Set) checkCounterBudget(lim Limits) LoadErrors { return checkCounterBudget(s.counters, lim) }

// checkCounterBudget is Set.checkCounterBudget over some counters (one
// policy's, for a draft validated alone).
func checkCounterBudget(counters []CounterDecl, lim Limits) LoadErrors {
	per := lim.CounterKeyCap()
	need := int64(0)
	for i, c := range counters {
		need += per
		if need <= lim.CounterBytes {
			continue
		}
		file, line, col := splitPosition(c.Position)
		return LoadErrors{&LoadError{File: file, Line: line, Col: col, Code: CodeLimit,
			Message: fmt.Sprintf("counter %q does not fit the counters' memory budget: %d counters need at least %d bytes (one key each at %d events × %d bytes, plus %d bytes a key), over the budget of %d bytes (counters.budget_bytes, counters.max_events_per_key): raise the budget, lower the per-key cap, or declare fewer counters",
				c.Name, i+1, need, lim.CounterEventsPerKey, CounterEventBytes, CounterKeyBytes, lim.CounterBytes)}}
	}
	return nil
}

// splitPosition reads "file:line:col" back into its parts.
func splitPosition(pos string) (file string, line, col int) {
	line, col = position(pos)
	file = pos
	for range 2 {
		if i := strings.LastIndexByte(file, ':'); i >= 0 {
			file = file[:i]
		}
	}
	return file, line, col
}
