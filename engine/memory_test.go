package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/report"
)

const memoryPolicy = `
name: memory
default: allow
on_error: review
context:
  ip: string
  amount: number
  card: string
lists:
  blocked_users: { description: Users the risk team blocked }
  vip_users: { file: lists/vip_users.txt }
  bad_networks: { kind: cidr }
counters:
  user_denials_7d: { key: user_id, window: 7d, where: outcome == "deny" }
  user_cards_1h:   { key: user_id, window: 1h, distinct: context.card }
  card_amount_24h: { key: context.card, window: 24h, sum: context.amount }
  vpn_fired_30d:   { key: user_id, window: 30d, where: 'fired("vpn") && risk_score > 10' }
variables:
  trusted: user_id in lists.vip_users
rules:
  - id: blocked-user
    when: user_id in lists.blocked_users && !trusted
    action: deny
  - id: bad-network
    when: context.ip in lists.bad_networks
    action: review
  - id: repeat-offender
    when: counters.user_denials_7d >= 3
    action: deny
  - id: many-cards
    when: counters.user_cards_1h > 2 || counters.card_amount_24h >= 2000.5
    action: review
`

const memReport = `{"session_id":"s-1","user_id":"u-1","tags":["checkout-flow"],"risk_score":20,
 "biometric_checks":{},"device_checks":{"vpn":"Detected"}}`

func TestMemoryEvaluate(t *testing.T) {
	p := mustPolicy(t, memoryPolicy)
	r := mustReport(t, memReport)
	counters := func(denials, cards, amount float64) map[string]CounterValue {
		return map[string]CounterValue{
			"user_denials_7d": {Key: "u-1", Value: denials},
			"user_cards_1h":   {Key: "u-1", Value: cards},
			"card_amount_24h": {Key: "c-1", Value: amount},
		}
	}
	cases := []struct {
		name    string
		lists   map[string][]string
		ctx     map[string]any
		ctr     map[string]CounterValue
		outcome Outcome
		fired   []string
		inputs  map[string]any // of the first fired rule
	}{
		{name: "nothing", ctr: counters(0, 0, 0), outcome: Allow},
		{name: "blocked", lists: map[string][]string{"blocked_users": {"u-1"}}, ctr: counters(0, 0, 0), outcome: Deny,
			fired: []string{"blocked-user"}, inputs: map[string]any{"lists.blocked_users": true, "lists.vip_users": false, "user_id": "u-1"}},
		{name: "blocked but vip", lists: map[string][]string{"blocked_users": {"u-1"}, "vip_users": {"u-1"}}, ctr: counters(0, 0, 0), outcome: Allow},
		{name: "bad network v4", lists: map[string][]string{"bad_networks": {"10.0.0.0/8"}}, ctx: map[string]any{"ip": "10.1.2.3"},
			ctr: counters(0, 0, 0), outcome: Review, fired: []string{"bad-network"}, inputs: map[string]any{"context.ip": "10.1.2.3", "lists.bad_networks": true}},
		{name: "bad network mapped", lists: map[string][]string{"bad_networks": {"10.0.0.0/8"}}, ctx: map[string]any{"ip": "::ffff:10.1.2.3"},
			ctr: counters(0, 0, 0), outcome: Review, fired: []string{"bad-network"}},
		{name: "not an ip", lists: map[string][]string{"bad_networks": {"10.0.0.0/8"}}, ctx: map[string]any{"ip": "nope"}, ctr: counters(0, 0, 0), outcome: Allow},
		{name: "repeat offender", ctr: counters(3, 0, 0), outcome: Deny, fired: []string{"repeat-offender"}, inputs: map[string]any{"counters.user_denials_7d": 3}},
		{name: "sum is a float", ctr: counters(0, 0, 2000.5), outcome: Review, fired: []string{"many-cards"},
			inputs: map[string]any{"counters.card_amount_24h": 2000.5, "counters.user_cards_1h": 0}},
		{name: "key missing reads 0", ctr: map[string]CounterValue{"user_denials_7d": {KeyMissing: true, Value: 9}, "user_cards_1h": {}, "card_amount_24h": {}}, outcome: Allow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lists, err := NewStaticLists(p.Lists(), tc.lists)
			if err != nil {
				t.Fatal(err)
			}
			d := p.Evaluate(Facts{Report: r, Context: tc.ctx, Lists: lists, Counters: tc.ctr, Now: time.Unix(0, 0)})
			if d.Outcome != tc.outcome || len(d.RuleErrors) > 0 {
				t.Fatalf("outcome %s (errors %v), want %s", d.Outcome, d.RuleErrors, tc.outcome)
			}
			if got := firedIDs(d); strings.Join(got, ",") != strings.Join(tc.fired, ",") {
				t.Fatalf("fired %v, want %v", got, tc.fired)
			}
			for path, want := range tc.inputs {
				got, ok := d.FiredRules[0].Inputs.Get(path)
				if !ok || got != want {
					t.Errorf("input %s = %#v (%v), want %#v", path, got, ok, want)
				}
			}
			// Every membership and counter value read is in the decision, fired or not.
			if d.Memory == nil || len(d.Memory.Counters) != 3 {
				t.Fatalf("memory %+v, want the 3 counters the rules read", d.Memory)
			}
			if n := len(d.Memory.Lists); n < 2 {
				t.Fatalf("memory lists %+v, want every membership asked", d.Memory.Lists)
			}
			for _, c := range d.Memory.Counters {
				if c.Counter == "user_denials_7d" && c.KeyMissing != tc.ctr["user_denials_7d"].KeyMissing {
					t.Errorf("key_missing not kept: %+v", c)
				}
			}
		})
	}
}

func TestMemoryErrors(t *testing.T) {
	p := mustPolicy(t, memoryPolicy)
	r := mustReport(t, memReport)
	t.Run("no lists given", func(t *testing.T) {
		d := p.Evaluate(Facts{Report: r, Counters: map[string]CounterValue{"user_denials_7d": {}, "user_cards_1h": {}, "card_amount_24h": {}}})
		if d.Reason != ReasonOnError || len(d.RuleErrors) == 0 || !strings.Contains(d.RuleErrors[0].Message, "no list store") {
			t.Fatalf("got %s %v, want on_error naming the missing list store", d.Reason, d.RuleErrors)
		}
	})
	t.Run("counter not given", func(t *testing.T) {
		lists, _ := NewStaticLists(p.Lists(), nil)
		d := p.Evaluate(Facts{Report: r, Lists: lists})
		if d.Reason != ReasonOnError || len(d.RuleErrors) != 1 || !strings.Contains(d.RuleErrors[0].Message, "counters.") {
			t.Fatalf("got %s %v, want on_error naming the counter", d.Reason, d.RuleErrors)
		}
	})
	t.Run("undeclared list item", func(t *testing.T) {
		if _, err := NewStaticLists(p.Lists(), map[string][]string{"nope": {"x"}}); err == nil {
			t.Fatal("no error for a list the policy does not declare")
		}
		if _, err := NewStaticLists(p.Lists(), map[string][]string{"bad_networks": {"10.0.0.0/33"}}); err == nil {
			t.Fatal("no error for a bad range")
		}
	})
}

func TestDeclarations(t *testing.T) {
	p := mustPolicy(t, memoryPolicy)
	var names []string
	for _, l := range p.Lists() {
		names = append(names, l.Name+":"+l.Kind+":"+l.File)
	}
	if got := strings.Join(names, " "); got != "bad_networks:cidr: blocked_users:strings: vip_users:strings:lists/vip_users.txt" {
		t.Fatalf("lists %s", got)
	}
	names = nil
	for _, c := range p.Counters() {
		names = append(names, c.Name+":"+c.Agg+":"+c.Window.String())
	}
	if got := strings.Join(names, " "); got != "card_amount_24h:sum:24h0m0s user_cards_1h:distinct:1h0m0s user_denials_7d:count:168h0m0s vpn_fired_30d:count:720h0m0s" {
		t.Fatalf("counters %s", got)
	}
	if pos := p.Lists()[0].Position; pos != "test.yaml:12:3" {
		t.Fatalf("position %s", pos)
	}
}

func counterByName(t *testing.T, p *Policy, name string) *CounterDecl {
	t.Helper()
	for i, c := range p.Counters() {
		if c.Name == name {
			return &p.Counters()[i]
		}
	}
	t.Fatalf("no counter %s", name)
	return nil
}

func TestCounterKeyAndContribution(t *testing.T) {
	p := mustPolicy(t, memoryPolicy)
	r := mustReport(t, memReport)
	noUser := mustReport(t, `{"session_id":"s-2","tags":[],"risk_score":20,"biometric_checks":{},"device_checks":{}}`)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		counter string
		past    PastDecision
		key     string
		value   any
		ok      bool
	}{
		{"user_denials_7d", PastDecision{Outcome: Deny, Report: r, DecidedAt: at}, "u-1", 1, true},
		{"user_denials_7d", PastDecision{Outcome: Allow, Report: r, DecidedAt: at}, "", nil, false},
		{"user_denials_7d", PastDecision{Outcome: Deny, Report: noUser, DecidedAt: at}, "", nil, false},
		{"user_denials_7d", PastDecision{Outcome: Deny, DecidedAt: at}, "", nil, false},
		{"user_cards_1h", PastDecision{Outcome: Allow, Report: r, Context: map[string]any{"card": "c-9"}}, "u-1", "c-9", true},
		{"user_cards_1h", PastDecision{Outcome: Allow, Report: r}, "", nil, false},
		{"card_amount_24h", PastDecision{Report: r, Context: map[string]any{"card": "c-9", "amount": 12.5}}, "c-9", 12.5, true},
		{"card_amount_24h", PastDecision{Report: r, Context: map[string]any{"card": "c-9", "amount": "12.5"}}, "", nil, false},
		{"vpn_fired_30d", PastDecision{Report: r, FiredRules: []string{"x", "vpn"}}, "u-1", 1, true},
		{"vpn_fired_30d", PastDecision{Report: r, FiredRules: []string{"x"}}, "", nil, false},
	}
	for _, tc := range cases {
		c := counterByName(t, p, tc.counter)
		key, v, ok := c.Contribution(tc.past)
		if key != tc.key || v != tc.value || ok != tc.ok {
			t.Errorf("%s over %+v: (%q, %v, %v), want (%q, %v, %v)", tc.counter, tc.past.FiredRules, key, v, ok, tc.key, tc.value, tc.ok)
		}
	}
	c := counterByName(t, p, "card_amount_24h")
	if k, ok := c.Key(Facts{Report: r, Context: map[string]any{"card": "c-1"}}); k != "c-1" || !ok {
		t.Errorf("key %q %v", k, ok)
	}
	if k, ok := c.Key(Facts{Report: r}); ok {
		t.Errorf("key %q for a decision without the card", k)
	}
	if k, ok := counterByName(t, p, "user_denials_7d").Key(Facts{Report: noUser}); ok {
		t.Errorf("key %q for a report without user_id", k)
	}
}

const scorePolicy = `
name: score
default: allow
on_error: review
strategy: score
bands: { review: 40, deny: 80 }
lists:
  vip_users: {}
rules:
  - id: vpn
    when: device_checks.vpn == "Detected"
    score: 25
  - id: risky
    when: risk_score >= 50
    score: 30
  - id: very-risky
    when: risk_score >= 90
    score: 40
  - id: trusted-customer
    when: user_id in lists.vip_users
    score: -50
  - id: automation-tool
    when: device_checks.bot == "Detected"
    action: allow
`

func TestScoreStrategy(t *testing.T) {
	p := mustPolicy(t, scorePolicy)
	rep := func(score int, vpn, bot string) *report.Report {
		return mustReport(t, `{"session_id":"s","user_id":"u-1","tags":[],"risk_score":`+itoa(score)+`,"biometric_checks":{},"device_checks":{"vpn":"`+vpn+`","bot":"`+bot+`"}}`)
	}
	cases := []struct {
		name    string
		r       *report.Report
		vip     bool
		outcome Outcome
		reason  string
		score   int
	}{
		{"nothing", rep(10, "Not detected", "Not detected"), false, Allow, ReasonDefault, 0},
		{"vpn alone below review", rep(10, "Detected", "Not detected"), false, Allow, ReasonDefault, 25},
		{"vpn and risky: review", rep(60, "Detected", "Not detected"), false, Review, ReasonRules, 55},
		{"all three: deny", rep(95, "Detected", "Not detected"), false, Deny, ReasonRules, 95},
		{"vip lowers", rep(95, "Detected", "Not detected"), true, Review, ReasonRules, 45},
		{"an action decides whatever the score", rep(95, "Detected", "Detected"), false, Allow, ReasonRules, 95},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			items := map[string][]string{}
			if tc.vip {
				items["vip_users"] = []string{"u-1"}
			}
			lists, _ := NewStaticLists(p.Lists(), items)
			d := p.Evaluate(Facts{Report: tc.r, Lists: lists})
			if d.Outcome != tc.outcome || d.Reason != tc.reason || d.Score == nil || *d.Score != tc.score {
				t.Fatalf("got %s/%s score %v, want %s/%s %d", d.Outcome, d.Reason, d.Score, tc.outcome, tc.reason, tc.score)
			}
			sum := 0
			for _, f := range d.FiredRules {
				if f.Score != nil {
					sum += *f.Score
				}
			}
			if sum != tc.score {
				t.Fatalf("fired rules' scores add to %d, total %d", sum, tc.score)
			}
			b, _ := json.Marshal(d)
			if !strings.Contains(string(b), `"score":`+itoa(tc.score)) {
				t.Fatalf("json %s lacks the score", b)
			}
		})
	}
	d := mustPolicy(t, evalPolicyMost()).Evaluate(Facts{Report: rep(10, "Detected", "Detected")})
	if b, _ := json.Marshal(d); strings.Contains(string(b), "score") || d.Score != nil {
		t.Fatalf("a policy without strategy score carries a score: %s", b)
	}
}

func evalPolicyMost() string { return strings.Replace(evalPolicy, "%s", StrategyMostSevere, 1) }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestMemoryConcurrent: decisions of one policy in parallel, each with its
// own lists and counters, read only their own (the evaluator's memory state
// is per decision); run under -race in CI.
func TestMemoryConcurrent(t *testing.T) {
	p := mustPolicy(t, memoryPolicy)
	r := mustReport(t, memReport)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			blocked := g%2 == 0
			items := map[string][]string{}
			if blocked {
				items["blocked_users"] = []string{"u-1"}
			}
			lists, _ := NewStaticLists(p.Lists(), items)
			ctr := map[string]CounterValue{"user_denials_7d": {Key: "u-1", Value: float64(g)}, "user_cards_1h": {}, "card_amount_24h": {}}
			for range 200 {
				d := p.Evaluate(Facts{Report: r, Lists: lists, Counters: ctr})
				want := Allow
				if blocked || g >= 3 {
					want = Deny
				}
				if d.Outcome != want || d.Memory == nil || d.Memory.Counters[2].Value != float64(g) || d.Memory.Lists[0].Member != blocked {
					errs <- fmt.Sprintf("goroutine %d: %s %+v", g, d.Outcome, d.Memory)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestMemoryCost: list reads count in the static cost (20 units each, plus
// the value's length), so a loop of memberships over the tags is bounded
// like any loop.
func TestMemoryCost(t *testing.T) {
	p := mustPolicy(t, "name: c\ndefault: allow\non_error: review\nlists: {l: {}}\ncounters: {c: {key: user_id, window: 1h}}\nrules:\n"+
		"  - {id: one, when: user_id in lists.l, action: deny}\n"+
		"  - {id: loop, when: 'any(tags, # in lists.l)', action: deny}\n"+
		"  - {id: counter, when: counters.c > 1, action: deny}\n")
	costs := p.Costs()
	if costs[0].Units < listReadUnits || costs[1].Units < 1000*listReadUnits || costs[2].Units > 10 {
		t.Fatalf("costs %+v", costs)
	}
}
