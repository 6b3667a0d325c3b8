package engine

import (
	"errors"
	"strings"
	"testing"
)

// TestCounterBudget: a set whose counters cannot each hold one key at the
// per-key cap within the counter budget does not load, and the error names
// the first counter past it, at its position, with code limit.
func TestCounterBudget(t *testing.T) {
	// memoryPolicy declares four counters: card_amount_24h, user_cards_1h,
	// user_denials_7d, vpn_fired_30d in the set's order.
	per := int64(100*CounterEventBytes + CounterKeyBytes)
	cases := []struct {
		name    string
		lim     Limits
		counter string // "" when the set loads
	}{
		{"defaults", Limits{}, ""},
		{"exactly four keys", Limits{CounterBytes: 4 * per, CounterEventsPerKey: 100}, ""},
		{"one byte short of four keys", Limits{CounterBytes: 4*per - 1, CounterEventsPerKey: 100}, "vpn_fired_30d"},
		{"one key", Limits{CounterBytes: per, CounterEventsPerKey: 100}, "user_cards_1h"},
		{"under one key", Limits{CounterBytes: per - 1, CounterEventsPerKey: 100}, "card_amount_24h"},
		{"a larger cap", Limits{CounterBytes: 4 * per, CounterEventsPerKey: 101}, "vpn_fired_30d"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.lim.LoadSources("rules", []Source{{File: "rules/memory.yaml", Data: []byte(memoryPolicy)}})
			if tc.counter == "" {
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				return
			}
			var errs LoadErrors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("load: %v, want one load error", err)
			}
			e := errs[0]
			if e.Code != CodeLimit || e.File != "rules/memory.yaml" || e.Line == 0 ||
				!strings.Contains(e.Message, `counter "`+tc.counter+`" does not fit the counters' memory budget`) {
				t.Fatalf("got %s:%d:%d %s %q, want a limit error at counter %s", e.File, e.Line, e.Col, e.Code, e.Message, tc.counter)
			}
		})
	}
}
