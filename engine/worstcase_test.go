package engine

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/report"
)

// worstShapes are policies that spend their cost in different ways, each
// with a size n: worstPolicy finds the largest n that still loads under
// DefaultLimits, so that every shape runs at the edge of the limits.
var worstShapes = []struct {
	name string
	when func(n int) string
}{
	{"nested-ranges", func(n int) string {
		return fmt.Sprintf("let xs = 1..%d; all(xs, all(xs, # > 0 && # < 1000000 && # != -7))", n)
	}},
	{"triple-ranges", func(n int) string {
		return fmt.Sprintf("let xs = 1..%d; all(xs, all(xs, all(xs, # + 1 > 0)))", n)
	}},
	{"tags-by-ranges", func(n int) string {
		return fmt.Sprintf("all(tags, len(#) > 0 && all(1..%d, # > 0))", n)
	}},
	{"text-doubling", func(n int) string {
		var b strings.Builder
		b.WriteString("let t0 = risk_explanation; ")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "let t%d = t%d + t%d; ", i, i-1, i-1)
		}
		fmt.Fprintf(&b, "len(t%d) > 0", n)
		return b.String()
	}},
	{"text-scans", func(n int) string {
		return fmt.Sprintf("all(1..%d, risk_explanation contains \"needle\" || upper(risk_explanation) != \"\")", n)
	}},
	{"map-filter", func(n int) string {
		return fmt.Sprintf("let xs = 1..%d; all(xs, len(filter(map(xs, # * 1000), # > 5)) >= 0)", n)
	}},
}

func worstSource(when string) []byte {
	return []byte(hostileHead + "rules:\n  - id: r\n    when: '" + when + "'\n    action: deny\n")
}

// worstPolicy is the shape at the largest n (up to 100,000) that loads.
func worstPolicy(t testing.TB, when func(int) string) (*Policy, int) {
	lo, hi := 0, 100_000 // lo loads (or is 0), hi does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if _, err := ParsePolicy("worst.yaml", worstSource(when(mid))); err == nil {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		t.Fatalf("no size of %q loads", when(1))
	}
	p, err := ParsePolicy("worst.yaml", worstSource(when(lo)))
	if err != nil {
		t.Fatal(err)
	}
	return p, lo
}

// worstReport is a report at the input bounds: a 64 KiB explanation and
// 1,000 tags.
func worstReport(t testing.TB) *report.Report {
	tags := make([]string, DefaultLimits.InputItems)
	for i := range tags {
		tags[i] = fmt.Sprintf("tag-%d", i)
	}
	raw, err := json.Marshal(map[string]any{"session_id": "worst", "risk_score": 99, "tags": tags,
		"risk_explanation": strings.Repeat("x", DefaultLimits.InputString)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestWorstCaseAllocationWithinLimit: every shape, at the largest size that
// loads, allocates no more than Limits.Memory in one decision on a report at
// the input bounds, and decides without a rule error. (Its CPU time is
// measured by BenchmarkWorstCase: timings belong in benchmarks.)
func TestWorstCaseAllocationWithinLimit(t *testing.T) {
	r := worstReport(t)
	for _, shape := range worstShapes {
		t.Run(shape.name, func(t *testing.T) {
			p, n := worstPolicy(t, shape.when)
			p.Evaluate(Facts{Report: r}) // warm the pool
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			d := p.Evaluate(Facts{Report: r})
			runtime.ReadMemStats(&after)
			if d.Reason == ReasonOnError {
				t.Fatalf("n=%d: on_error %v", n, d.RuleErrors)
			}
			got, c := after.TotalAlloc-before.TotalAlloc, p.Costs()[0]
			t.Logf("n=%d: %d units, %d bytes bound, %d bytes allocated", n, c.Units, c.Bytes, got)
			if int64(got) > DefaultLimits.Memory || int64(got) > c.Bytes {
				t.Errorf("n=%d: allocated %d bytes; the bound is %d and the limit %d", n, got, c.Bytes, DefaultLimits.Memory)
			}
		})
	}
}

// BenchmarkWorstCase is one decision of each worst shape at the edge of the
// limits: its cpu-ms/op is the CPU a policy that loads can make a decision
// take, the garbage collector's included (the limit is 50 ms), its B/op what
// it can allocate (16 MiB).
func BenchmarkWorstCase(b *testing.B) {
	r := worstReport(b)
	for _, shape := range worstShapes {
		b.Run(shape.name, func(b *testing.B) {
			p, _ := worstPolicy(b, shape.when)
			units := p.Costs()[0].Units
			b.ReportAllocs()
			cpu := cpuTime(b)
			for b.Loop() {
				if d := p.Evaluate(Facts{Report: r}); d.Reason == ReasonOnError {
					b.Fatal(d.RuleErrors)
				}
			}
			cpuPerOp := float64((cpuTime(b) - cpu).Nanoseconds()) / float64(b.N)
			b.ReportMetric(float64(units), "units")
			b.ReportMetric(cpuPerOp/1e6, "cpu-ms/op") // the process's CPU, the collector's included
			b.ReportMetric(cpuPerOp/float64(units), "cpu-ns/unit")
		})
	}
}
