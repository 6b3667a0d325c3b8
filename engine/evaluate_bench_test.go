package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/expr-lang/expr/vm"

	"github.com/verdicthq/verdict/fetcher"
)

// generatedPolicy builds a policy of n rules in the shape risk teams write:
// score bands, check combinations, variables and a context field. For the
// bench report none fires except the first, so allocations must not grow with n.
func generatedPolicy(n int) string {
	var b strings.Builder
	b.WriteString("name: gen\ndefault: allow\non_error: review\ncontext: {amount: number}\nvariables:\n")
	b.WriteString("  anonymized: device_checks.vpn == \"Detected\" || device_checks.tor == \"Detected\"\nrules:\n")
	b.WriteString("  - {id: r0, when: 'risk_score >= 40', action: review}\n")
	checks := append(append([]string{}, fetcher.DeviceCheckNames...), fetcher.BiometricCheckNames...)
	for i := 1; i < n; i++ {
		group := "device_checks"
		c := checks[i%len(checks)]
		if i%len(checks) >= len(fetcher.DeviceCheckNames) {
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

func benchReport(b *testing.B) *fetcher.Report {
	data, err := os.ReadFile("../testdata/reports/demo-review.json")
	if err != nil {
		b.Fatal(err)
	}
	return mustReport(b, string(data))
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

// BenchmarkEvaluate is the engine: Evaluate per decision.
func BenchmarkEvaluate(b *testing.B) {
	r := benchReport(b)
	ctx := map[string]any{"amount": 120.0}
	for _, name := range []string{"shipped", "rules50", "rules500"} {
		p := benchPolicies(b)[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d := p.Evaluate(r, ctx); d.Reason == ReasonOnError {
					b.Fatal(d.RuleErrors)
				}
			}
		})
	}
}

// BenchmarkFloor is the floor for BenchmarkEvaluate: the same compiled
// programs run directly in a loop with one reused VM and an env filled once.
func BenchmarkFloor(b *testing.B) {
	r := benchReport(b)
	ctx := map[string]any{"amount": 120.0}
	for _, name := range []string{"shipped", "rules50", "rules500"} {
		p := benchPolicies(b)[name]
		b.Run(name, func(b *testing.B) {
			e := make(map[string]any, p.layout.size())
			p.layout.fill(e, r, ctx)
			machine := vm.VM{MemoryBudget: MemoryBudget}
			b.ReportAllocs()
			for b.Loop() {
				for _, ru := range p.rules {
					if _, err := machine.Run(ru.prog, e); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
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

// BenchmarkFloorFill is the floor plus refilling the env from the report per
// decision (what any caller of expr must do): the engine's own cost beyond it
// is selection of the pooled VM, the context check and the explanation.
func BenchmarkFloorFill(b *testing.B) {
	r := benchReport(b)
	ctx := map[string]any{"amount": 120.0}
	for _, name := range []string{"shipped", "rules50", "rules500"} {
		p := benchPolicies(b)[name]
		b.Run(name, func(b *testing.B) {
			e := make(map[string]any, p.layout.size())
			machine := vm.VM{MemoryBudget: MemoryBudget}
			b.ReportAllocs()
			for b.Loop() {
				p.layout.fill(e, r, ctx)
				for _, ru := range p.rules {
					if _, err := machine.Run(ru.prog, e); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
