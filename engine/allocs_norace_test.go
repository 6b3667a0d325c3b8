// Allocation counts are meaningless under the race detector: it makes
// sync.Pool drop pooled evaluators at random, so this file is left out of
// -race builds (go test ./engine runs it).

//go:build !race

package engine

import (
	"fmt"
	"os"
	"testing"
)

// TestAllocsDoNotGrowWithRules: a decision allocates for the rules that fire
// (their explanation), never for the rules that only run. On demo-review one
// rule fires in each generated policy, whatever its size.
func TestAllocsDoNotGrowWithRules(t *testing.T) {
	data, err := os.ReadFile("../testdata/reports/demo-review.json")
	if err != nil {
		t.Fatal(err)
	}
	r := mustReport(t, string(data))
	ctx := map[string]any{"amount": 120.0}
	var want float64 = -1
	for _, n := range []int{5, 50, 500} {
		t.Run(fmt.Sprint(n, " rules"), func(t *testing.T) {
			p := mustPolicy(t, generatedPolicy(n))
			if d := p.Evaluate(Facts{Report: r, Context: ctx}); len(d.FiredRules) != 1 || len(d.RuleErrors) != 0 {
				t.Fatalf("want one fired rule and no error, got %+v", d)
			}
			got := testing.AllocsPerRun(200, func() { p.Evaluate(Facts{Report: r, Context: ctx}) })
			if want < 0 {
				want = got
			}
			if got != want || got > 1 {
				t.Errorf("%v allocations per decision, want %v (and at most 1: the fired rule's entry and inputs are cut from slabs shared by many decisions)", got, want)
			}
		})
	}
}

// TestMembershipDoesNotAllocate: asking a strings or a cidr list, through
// the function a rule calls, allocates nothing.
func TestMembershipDoesNotAllocate(t *testing.T) {
	mem, _, _ := memoryBenchPolicies(t)
	lists, _ := memoryBenchFacts(t, mem)
	ev := newEvaluator(&mem.layout, DefaultLimits.Cost)
	ev.lists = lists
	for _, tc := range []struct {
		list  string
		value any
		want  bool
	}{{"blocked_users", "u-500", true}, {"blocked_users", "u-none", false}, {"bad_networks", "10.7.1.2", true}, {"bad_networks", "2001:db8::1", false}, {"blocked_cards", nil, false}} {
		f := ev.env["lists."+tc.list].(listFunc)
		if got := f(tc.value); got != tc.want {
			t.Fatalf("%s %v: %v, want %v", tc.list, tc.value, got, tc.want)
		}
		if n := testing.AllocsPerRun(100, func() { ev.listReads = ev.listReads[:0]; f(tc.value) }); n != 0 {
			t.Errorf("%s %v: %v allocations per membership", tc.list, tc.value, n)
		}
	}
}
