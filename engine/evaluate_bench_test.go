package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/verdicthq/verdict/report"
)

// generatedPolicy builds a policy of n rules in the shape risk teams write:
// score bands, check combinations, variables and a context field. For the
// bench report none fires except the first, so allocations must not grow with n.
func generatedPolicy(n int) string {
	var b strings.Builder
	b.WriteString("name: gen\ndefault: allow\non_error: review\ncontext: {amount: number}\nvariables:\n")
	b.WriteString("  anonymized: device_checks.vpn == \"Detected\" || device_checks.tor == \"Detected\"\nrules:\n")
	b.WriteString("  - {id: r0, when: 'risk_score >= 40', action: review}\n")
	checks := append(append([]string{}, report.DeviceCheckNames...), report.BiometricCheckNames...)
	for i := 1; i < n; i++ {
		group := "device_checks"
		c := checks[i%len(checks)]
		if i%len(checks) >= len(report.DeviceCheckNames) {
			group = "biometric_checks"
		}
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "  - {id: r%d, when: 'risk_score >= %d && %s.%s == \"Detected\"', action: deny}\n", i, 50+i%50, group, c)
		case 1:
			fmt.Fprintf(&b, "  - {id: r%d, when: 'anonymized && context.amount > %d', action: review}\n", i, 1000+i)
		default:
			fmt.Fprintf(&b, "  - {id: r%d, when: '%s.%s == \"Detected\" && risk_score > %d', action: review}\n", i, group, c, i%90)
		}
	}
	return b.String()
}

// benchReports are the reports the benchmarks decide in turn:
// demo-review (score 58, every check "Not detected") and the same report with
// every check "Unknown". The same rules fire for both (one per policy), but
// every check differs from the previous decision's, so the engine's env must
// take every check it reads anew each time, and a benchmark cannot gain from
// values left over from the previous decision.
func benchReports(b *testing.B) []*report.Report {
	data, err := os.ReadFile("../testdata/reports/demo-review.json")
	if err != nil {
		b.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		b.Fatal(err)
	}
	for _, group := range []string{"device_checks", "biometric_checks"} {
		for name := range raw[group].(map[string]any) {
			raw[group].(map[string]any)[name] = "Unknown"
		}
	}
	unknown, err := json.Marshal(raw)
	if err != nil {
		b.Fatal(err)
	}
	return []*report.Report{mustReport(b, string(data)), mustReport(b, string(unknown))}
}

func benchPolicies(b *testing.B) map[string]*Policy {
	shipped, err := os.ReadFile("../rules/checkout.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return map[string]*Policy{
		"shipped":  mustPolicy(b, string(shipped)),
		"rules50":  mustPolicy(b, generatedPolicy(50)),
		"rules500": mustPolicy(b, generatedPolicy(500)),
	}
}

// benchContext is the context every benchmark decision is given.
var benchContext = map[string]any{"amount": 120.0}

// eachPolicy runs bench as a sub-benchmark for each bench policy, with the
// bench reports.
func eachPolicy(b *testing.B, bench func(b *testing.B, p *Policy, reports []*report.Report)) {
	reports := benchReports(b)
	policies := benchPolicies(b)
	for _, name := range []string{"shipped", "rules50", "rules500"} {
		b.Run(name, func(b *testing.B) { bench(b, policies[name], reports) })
	}
}

// BenchmarkEvaluate is the engine: Evaluate per decision.
func BenchmarkEvaluate(b *testing.B) {
	eachPolicy(b, func(b *testing.B, p *Policy, reports []*report.Report) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if d := p.Evaluate(Facts{Report: reports[i%len(reports)], Context: benchContext}); d.Reason == ReasonOnError {
				b.Fatal(d.RuleErrors)
			}
			i++
		}
	})
}

// BenchmarkFloor is the floor for BenchmarkEvaluate: what a plain user of
// expr writes to run the same compiled programs, one reused VM over one env
// map, filled from the decoded report for each decision (see floor).
func BenchmarkFloor(b *testing.B) {
	eachPolicy(b, func(b *testing.B, p *Policy, reports []*report.Report) {
		f := newFloor(p)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			f.decide(b, reports[i%len(reports)], benchContext)
			i++
		}
	})
}

// floor runs a policy's compiled programs as a plain user of expr would:
// one VM and one env map, reused; for each decision, every key the programs
// read written from the report and the context (checks as strings, the
// context's values as given), then every program run in turn.
type floor struct {
	machine vm.VM
	env     map[string]any
	p       *Policy
}

func newFloor(p *Policy) *floor {
	return &floor{machine: vm.VM{MemoryBudget: MemoryBudget}, env: map[string]any{}, p: p}
}

// fill writes the env for one decision.
func (f *floor) fill(r *report.Report, ctx map[string]any) {
	l := &f.p.layout
	if l.score {
		f.env["risk_score"] = r.RiskScore
	}
	for _, c := range l.checks {
		if c.biometric {
			f.env[c.key] = string(r.BiometricChecks[c.name])
		} else {
			f.env[c.key] = string(r.DeviceChecks[c.name])
		}
	}
	for _, root := range l.roots {
		switch root {
		case "tags":
			f.env[root] = r.Tags
		case "user_id":
			f.env[root] = r.UserID
		case nameContext:
			f.env[root] = ctx
		}
	}
	for _, c := range l.context {
		f.env[c.key] = ctx[c.name]
	}
}

// decide is one decision of the floor.
func (f *floor) decide(b *testing.B, r *report.Report, ctx map[string]any) {
	f.fill(r, ctx)
	for _, ru := range f.p.rules {
		if _, err := f.machine.Run(ru.prog, f.env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateOverFloor is BenchmarkEvaluate and BenchmarkFloor in one
// loop: chunks of 256 decisions of each in turn, each chunk timed apart, so
// that both see the same state of a noisy machine (on the shared 2-core
// development machine, separate runs of one benchmark differ by up to 2×).
// It reports engine-ns/decision, floor-ns/decision and their ratio
// engine/floor. Both allocate (the floor's check strings and count([...])
// lists, Evaluate's 1/32 of an explanation slab), so the garbage collector's
// work falls on both.
func BenchmarkEvaluateOverFloor(b *testing.B) {
	const chunk = 256
	eachPolicy(b, func(b *testing.B, p *Policy, reports []*report.Report) {
		f := newFloor(p)
		var engine, floor time.Duration
		for b.Loop() {
			start := time.Now()
			for i := range chunk {
				if d := p.Evaluate(Facts{Report: reports[i%len(reports)], Context: benchContext}); d.Reason == ReasonOnError {
					b.Fatal(d.RuleErrors)
				}
			}
			mid := time.Now()
			for i := range chunk {
				f.decide(b, reports[i%len(reports)], benchContext)
			}
			engine, floor = engine+mid.Sub(start), floor+time.Since(mid)
		}
		decisions := float64(b.N) * chunk
		b.ReportMetric(float64(engine.Nanoseconds())/decisions, "engine-ns/decision")
		b.ReportMetric(float64(floor.Nanoseconds())/decisions, "floor-ns/decision")
		b.ReportMetric(float64(engine)/float64(floor), "engine/floor")
	})
}

// BenchmarkCompile500 is loading a 500-rule policy.
func BenchmarkCompile500(b *testing.B) {
	src := []byte(generatedPolicy(500))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePolicy("gen.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateSameChecks is Evaluate when every decision's checks are
// the same words as the previous one's (demo-review over and over), as in
// quiet traffic where nearly every check is "Not detected". Its floor is
// BenchmarkFloor (the same rules fire).
func BenchmarkEvaluateSameChecks(b *testing.B) {
	eachPolicy(b, func(b *testing.B, p *Policy, reports []*report.Report) {
		b.ReportAllocs()
		for b.Loop() {
			if d := p.Evaluate(Facts{Report: reports[0], Context: benchContext}); d.Reason == ReasonOnError {
				b.Fatal(d.RuleErrors)
			}
		}
	})
}

// BenchmarkParts splits the engine's own cost per decision on the shipped
// policy (what Evaluate adds to the floor) into its parts.
func BenchmarkParts(b *testing.B) {
	reports := benchReports(b)
	ctx := map[string]any{"amount": 120.0}
	p := benchPolicies(b)["shipped"]
	ev := newEvaluator(&p.layout, DefaultLimits.Cost)
	now := time.Now()
	b.Run("fill-all-checks-changed", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := p.layout.fill(ev.env, reports[i%2], ctx, now); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("fill-same-checks", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := p.layout.fill(ev.env, reports[0], ctx, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-fill", func(b *testing.B) {
		f := newFloor(p)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			f.fill(reports[i%2], ctx)
			i++
		}
	})
	b.Run("explain-fired-rule", func(b *testing.B) {
		var ru *rule
		for _, r := range p.rules {
			if r.id == "medium-risk-score" {
				ru = r
			}
		}
		if err := p.layout.fill(ev.env, reports[0], ctx, now); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			_ = ru.explain([]FiredRule{}, ev)
		}
	})
	b.Run("pool-get-put", func(b *testing.B) {
		for b.Loop() {
			p.pool.Put(p.pool.Get())
		}
	})
}
