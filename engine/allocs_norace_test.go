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
