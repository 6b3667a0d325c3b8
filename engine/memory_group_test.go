package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/report"
)

// groupPolicies are two policies whose counters read every kind of input:
// the outcome, fired(), now(), the score, top-level fields, documented and
// undocumented checks, a whole check group and declared context fields. b
// declares context.amount as a text, so its counters cannot share a's env.
const groupPolicyA = `name: a
default: allow
on_error: review
context: { amount: number, card: string }
counters:
  denials:  { key: user_id, window: 1h, where: 'outcome == "deny"' }
  cards:    { key: user_id, window: 1h, distinct: context.card }
  spend:    { key: context.card, window: 24h, sum: context.amount }
  top:      { key: context.card, window: 24h, max: context.amount, where: risk_score >= 50 }
  fired:    { key: session_id, window: 1h, where: 'fired("big") && now().Hour() >= 0' }
  vpn:      { key: user_id, window: 1h, where: 'device_checks.vpn == "Detected"' }
  odd:      { key: user_id, window: 1h, where: 'device_checks["made_up"] == "Detected"' }
  groups:   { key: user_id, window: 1h, where: len(biometric_checks) > 1 }
  tagged:   { key: 'tags[0]', window: 1h, distinct: recommended_action }
rules:
  - { id: big, when: 'context.amount >= 1000', action: review }
`

const groupPolicyB = `name: b
match: { tags: [b] }
default: allow
on_error: review
context: { amount: string }
counters:
  amounts: { key: user_id, window: 1h, distinct: context.amount }
rules:
  - { id: r, when: 'counters.amounts > 1', action: deny }
`

// TestGroupContributionsMatchEach: a group's Contributions give, for every
// decision, exactly what each counter's Contribution gives, over random
// decisions with missing, mistyped and oversized inputs.
func TestGroupContributionsMatchEach(t *testing.T) {
	lim := DefaultLimits
	lim.InputItems = 12 // a check group of more entries is over the limits: the counters reading it fail alone
	set, err := lim.LoadSources("rules", []Source{{File: "a.yaml", Data: []byte(groupPolicyA)}, {File: "b.yaml", Data: []byte(groupPolicyB)}})
	if err != nil {
		t.Fatal(err)
	}
	decls := set.Counters()
	ptrs := make([]*CounterDecl, len(decls))
	for i := range decls {
		ptrs[i] = &decls[i]
	}
	groups := GroupCounters(ptrs)
	if len(groups) != 2 {
		t.Fatalf("%d groups, want 2 (b's context declares amount as a text)", len(groups))
	}
	seen := 0
	for _, g := range groups {
		seen += len(g.Decls())
	}
	if seen != len(decls) {
		t.Fatalf("groups hold %d counters, want %d", seen, len(decls))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	counted := 0
	for n := range 3000 {
		past := randomPast(rng, n)
		for _, g := range groups {
			got := map[string][2]any{}
			for _, c := range g.Contributions(past, nil) {
				got[g.Decls()[c.Index].Name] = [2]any{c.Key, c.Value}
			}
			want := map[string][2]any{}
			for _, d := range g.Decls() {
				if k, v, ok := d.Contribution(past); ok {
					want[d.Name] = [2]any{k, v}
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decision %d (%+v):\ngroup %v\neach  %v", n, past, got, want)
			}
			counted += len(want)
		}
	}
	if counted < 3000 {
		t.Fatalf("only %d contributions in 3000 decisions: the random decisions hardly count", counted)
	}
}

// randomPast is a decision with inputs drawn to hit every branch: no
// report, missing or mistyped context fields, a check group over the
// limits, each outcome and fired rule.
func randomPast(rng *rand.Rand, n int) PastDecision {
	if rng.IntN(20) == 0 {
		return PastDecision{Outcome: Allow, DecidedAt: time.Unix(int64(n), 0)}
	}
	checks := func(k int) report.Checks {
		c := report.Checks{}
		for i := range k {
			c[fmt.Sprintf("c%d", i)] = "Not detected"
		}
		return c
	}
	dev := checks(rng.IntN(3))
	if rng.IntN(2) == 0 {
		dev["vpn"] = "Detected"
	}
	if rng.IntN(3) == 0 {
		dev["made_up"] = "Detected"
	}
	bio := checks(rng.IntN(4))
	if rng.IntN(15) == 0 {
		bio = checks(20) // over InputItems
	}
	r := &report.Report{SessionID: fmt.Sprintf("s%d", rng.IntN(5)), UserID: []string{"", "u1", "u2"}[rng.IntN(3)],
		RiskScore: rng.IntN(101), RecommendedAction: []string{"", "allow", "review"}[rng.IntN(3)],
		DeviceChecks: dev, BiometricChecks: bio}
	if rng.IntN(2) == 0 {
		r.Tags = []string{"t" + fmt.Sprint(rng.IntN(3))}
	}
	ctx := map[string]any{}
	switch rng.IntN(5) {
	case 0: // none
	case 1:
		ctx["amount"] = "12" // a text: a's number check fails, b's passes
	case 2:
		ctx["amount"] = strings.Repeat("9", 3)
		ctx["card"] = 7.0 // a number where a declares a text
	default:
		ctx["amount"] = float64(rng.IntN(2000))
		ctx["card"] = fmt.Sprintf("c%d", rng.IntN(4))
	}
	var fired []string
	if rng.IntN(2) == 0 {
		fired = []string{"big"}
	}
	return PastDecision{Outcome: []Outcome{Allow, Review, Deny}[rng.IntN(3)], FiredRules: fired,
		Report: r, Context: ctx, DecidedAt: time.Unix(1_700_000_000+int64(n), 0).UTC()}
}
