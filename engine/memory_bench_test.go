package engine

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/report"
)

// The memory benchmark: the shipped policy with rules reading 3 lists and 5
// counters, against the same policy with those reads replaced by plain
// comparisons of the same shape (same rules, same outcomes), and against
// the shipped policy alone. Lists are StaticLists of 1,000 users, 1,000
// cards and 50 ranges; counters are handed in as the pipeline hands them.

const memoryDecls = `
lists:
  blocked_users: {}
  blocked_cards: {}
  bad_networks: { kind: cidr }
counters:
  user_denials_7d: { key: user_id, window: 7d, where: outcome == "deny" }
  user_cards_1h:   { key: user_id, window: 1h, distinct: context.card }
  card_amount_24h: { key: context.card, window: 24h, sum: context.amount }
  user_sessions_1h: { key: user_id, window: 1h }
  ip_users_24h:    { key: context.ip, window: 24h, distinct: user_id }
`

// memoryRules are the added rules. With plain, each memory read is a
// comparison of the report or context instead (same shape, less
// information); with fed, each read is of a context field carrying the same
// value (what a policy without lists and counters would read if the caller
// looked them up and sent them).
func memoryRules(plain, fed bool) string {
	f := strings.NewReplacer(
		"user_id in lists.blocked_users", "context.blocked_user",
		"context.ip in lists.bad_networks", "context.bad_network",
		"context.card in lists.blocked_cards", "context.blocked_card",
		"counters.", "context.",
	)
	r := strings.NewReplacer(
		"user_id in lists.blocked_users", `user_id == "u-blocked"`,
		"context.ip in lists.bad_networks", `context.ip == "203.0.113.9"`,
		"context.card in lists.blocked_cards", `context.card == "c-blocked"`,
		"counters.user_denials_7d", "risk_score",
		"counters.user_cards_1h", "risk_score",
		"counters.card_amount_24h", "context.amount",
		"counters.user_sessions_1h", "risk_score",
		"counters.ip_users_24h", "risk_score",
	)
	rules := `
  - { id: blocked-user, when: user_id in lists.blocked_users, action: deny }
  - { id: bad-network, when: context.ip in lists.bad_networks, action: review }
  - { id: blocked-card, when: context.card in lists.blocked_cards, action: deny }
  - { id: repeat-offender, when: counters.user_denials_7d >= 3000, action: deny }
  - { id: card-velocity, when: counters.user_cards_1h > 3000 || counters.card_amount_24h >= 2000, action: review }
  - { id: session-burst, when: counters.user_sessions_1h > 2000 && counters.ip_users_24h > 5, action: review }
`
	switch {
	case plain:
		return r.Replace(rules)
	case fed:
		return f.Replace(rules)
	}
	return rules
}

// fedContext declares the context fields the fed policy reads.
const fedContext = `  blocked_user: bool
  bad_network: bool
  blocked_card: bool
  user_denials_7d: number
  user_cards_1h: number
  card_amount_24h: number
  user_sessions_1h: number
  ip_users_24h: number
`

// fedBenchContext is memoryBenchContext with the values the memory policy
// reads from its lists and counters.
var fedBenchContext = map[string]any{"amount": 120.0, "ip": "192.0.2.7", "card": "c-none",
	"blocked_user": false, "bad_network": false, "blocked_card": false,
	"user_denials_7d": 1.0, "user_cards_1h": 2.0, "card_amount_24h": 340.5, "user_sessions_1h": 300.0, "ip_users_24h": 1.0}

// contextFed is the policy that reads what the memory policy reads from the
// context instead.
func contextFed(b testing.TB) *Policy {
	data, err := os.ReadFile("../rules/checkout.yaml")
	if err != nil {
		b.Fatal(err)
	}
	src := strings.Replace(string(data), "context:\n  amount: number\n", "context:\n  amount: number\n  ip: string\n  card: string\n"+fedContext, 1)
	return mustPolicy(b, src+memoryRules(false, true))
}

func memoryBenchPolicies(b testing.TB) (withMemory, sameShape, shipped *Policy) {
	data, err := os.ReadFile("../rules/checkout.yaml")
	if err != nil {
		b.Fatal(err)
	}
	src := strings.Replace(string(data), "context:\n  amount: number\n", "context:\n  amount: number\n  ip: string\n  card: string\n", 1)
	if src == string(data) {
		b.Fatal("the shipped policy's context block moved; update the benchmark")
	}
	withMemory = mustPolicy(b, src+memoryRules(false, false)+memoryDecls)
	sameShape = mustPolicy(b, src+memoryRules(true, false))
	return withMemory, sameShape, mustPolicy(b, src)
}

func memoryBenchFacts(b testing.TB, p *Policy) (*StaticLists, map[string]CounterValue) {
	users, cards, nets := make([]string, 1000), make([]string, 1000), make([]string, 50)
	for i := range users {
		users[i], cards[i] = fmt.Sprintf("u-%d", i), fmt.Sprintf("c-%d", i)
	}
	for i := range nets {
		nets[i] = fmt.Sprintf("10.%d.%d.0/%d", i, i, []int{8, 16, 24}[i%3]) // 3 prefix lengths, as block lists of networks have
	}
	lists, err := NewStaticLists(p.Lists(), map[string][]string{"blocked_users": users, "blocked_cards": cards, "bad_networks": nets})
	if err != nil {
		b.Fatal(err)
	}
	counters := map[string]CounterValue{
		"user_denials_7d":  {Key: "user-demo-review", Value: 1},
		"user_cards_1h":    {Key: "user-demo-review", Value: 2},
		"card_amount_24h":  {Key: "c-none", Value: 340.5},
		"user_sessions_1h": {Key: "user-demo-review", Value: 300},
		"ip_users_24h":     {Key: "192.0.2.7", Value: 1},
	}
	return lists, counters
}

var memoryBenchContext = map[string]any{"amount": 120.0, "ip": "192.0.2.7", "card": "c-none"}

// BenchmarkEvaluateMemory runs the three policies in one loop, chunks of 256
// decisions of each in turn, each chunk timed apart (as
// BenchmarkEvaluateOverFloor does), and reports each one's ns/decision and
// the ratios memory/context-fed, memory/same-shape and memory/shipped.
// Issue 11 asks memory within 1.3x of the same policy without it: the
// context-fed policy is that policy (the same rules deciding on the same
// values, handed in through the context). median-round-memory/context-fed
// is the median over the rounds of each round's ratio (its memory chunk
// against the context-fed chunk right after it): the pairs share the
// machine's load of the moment, so it moves less than the ratio of sums.
func BenchmarkEvaluateMemory(b *testing.B) {
	const chunk = 256
	mem, plain, shipped := memoryBenchPolicies(b)
	fed := contextFed(b)
	lists, counters := memoryBenchFacts(b, mem)
	reports := benchReports(b)
	run := func(p *Policy, f Facts) time.Duration {
		start := time.Now()
		for i := range chunk {
			f.Report = reports[i%len(reports)]
			if d := p.Evaluate(f); d.Reason == ReasonOnError || d.Outcome != Review {
				b.Fatal(d.Outcome, d.RuleErrors)
			}
		}
		return time.Since(start)
	}
	var tm, tf, tp, ts time.Duration
	var rounds []float64 // memory/context-fed of each round: a load spike falls on both of a pair
	for b.Loop() {
		m := run(mem, Facts{Context: memoryBenchContext, Lists: lists, Counters: counters})
		f := run(fed, Facts{Context: fedBenchContext})
		tm, tf = tm+m, tf+f
		tp += run(plain, Facts{Context: memoryBenchContext})
		ts += run(shipped, Facts{Context: memoryBenchContext})
		rounds = append(rounds, float64(m)/float64(f))
	}
	slices.Sort(rounds)
	b.ReportMetric(rounds[len(rounds)/2], "median-round-memory/context-fed")
	n := float64(b.N) * chunk
	b.ReportMetric(float64(tm.Nanoseconds())/n, "memory-ns/decision")
	b.ReportMetric(float64(tf.Nanoseconds())/n, "context-fed-ns/decision")
	b.ReportMetric(float64(tp.Nanoseconds())/n, "same-shape-ns/decision")
	b.ReportMetric(float64(ts.Nanoseconds())/n, "shipped-ns/decision")
	b.ReportMetric(float64(tm)/float64(tf), "memory/context-fed")
	b.ReportMetric(float64(tm)/float64(tp), "memory/same-shape")
	b.ReportMetric(float64(tm)/float64(ts), "memory/shipped")
}

// BenchmarkEvaluateMemoryAllocs is the memory policy alone, for its
// allocations per decision.
func BenchmarkEvaluateMemoryAllocs(b *testing.B) {
	mem, plain, _ := memoryBenchPolicies(b)
	fed := contextFed(b)
	lists, counters := memoryBenchFacts(b, mem)
	reports := benchReports(b)
	for _, tc := range []struct {
		name string
		p    *Policy
		f    Facts
	}{{"memory", mem, Facts{Context: memoryBenchContext, Lists: lists, Counters: counters}}, {"context-fed", fed, Facts{Context: fedBenchContext}}, {"same-shape", plain, Facts{Context: memoryBenchContext}}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				tc.f.Report = reports[i%len(reports)]
				i++
				tc.p.Evaluate(tc.f)
			}
		})
	}
}

// BenchmarkMembership is one list membership through the env, as a rule
// asks it.
func BenchmarkMembership(b *testing.B) {
	mem, _, _ := memoryBenchPolicies(b)
	lists, _ := memoryBenchFacts(b, mem)
	ev := newEvaluator(&mem.layout, DefaultLimits.Cost)
	ev.lists = lists
	for _, tc := range []struct{ list, value string }{{"blocked_users", "u-500"}, {"bad_networks", "10.7.1.2"}} {
		f := ev.env["lists."+tc.list].(listFunc)
		var v any = tc.value
		b.Run(tc.list, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ev.listReads = ev.listReads[:0]
				if f(v) != true {
					b.Fatal("not a member")
				}
			}
		})
	}
}

var _ = report.Detected
