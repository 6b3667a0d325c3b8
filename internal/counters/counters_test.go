package counters_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/report"
)

const policy = `name: velocity
default: allow
on_error: review
context: { amount: number, card: string }
counters:
  user_denials_1h: { key: user_id, window: 1h, where: outcome == "deny" }
  user_cards_1h:   { key: user_id, window: 1h, distinct: context.card }
  card_amount_24h: { key: context.card, window: 24h, sum: context.amount }
  card_max_24h:    { key: context.card, window: 24h, max: context.amount }
  user_fired_1h:   { key: user_id, window: 1h, where: fired("big") }
rules:
  - { id: big, when: 'context.amount >= 1000', action: review }
  - { id: many, when: 'counters.user_denials_1h >= 3 || counters.user_cards_1h > 3 || counters.card_amount_24h > 5000 || counters.card_max_24h > 4000 || counters.user_fired_1h > 9', action: deny }
`

func loadSet(t testing.TB) *engine.Set {
	t.Helper()
	set, err := engine.LoadSources("rules", []engine.Source{{File: "rules/velocity.yaml", Data: []byte(policy)}})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return set
}

func decl(t testing.TB, set *engine.Set, name string) *engine.CounterDecl {
	t.Helper()
	for _, d := range set.Counters() {
		if d.Name == name {
			return &d
		}
	}
	t.Fatalf("no counter %s", name)
	return nil
}

// reportFor is the sample report with another user_id.
func reportFor(t testing.TB, user string, score int) []byte {
	t.Helper()
	r := bytes.Replace(audittest.Report, []byte(`"user_id": "user-456"`), []byte(`"user_id": "`+user+`"`), 1)
	r = bytes.Replace(r, []byte(`"risk_score": 75`), []byte(fmt.Sprintf(`"risk_score": %d`, score)), 1)
	if score%2 == 0 { // a VPN on odd scores only, so that counters of checks see both
		r = bytes.Replace(r, []byte(`"vpn": "Detected"`), []byte(`"vpn": "Not detected"`), 1)
	}
	return r
}

// event is one past decision of the tests.
type event struct {
	user, card string
	amount     float64
	outcome    engine.Outcome
	fired      []string
	at         time.Duration // after t0
	score      int           // the report's risk_score: 75 when 0
	noColumn   bool          // stored as before the risk_score column (Trace.RiskScore nil)
}

// riskScore is the event's report's risk_score.
func (e event) riskScore() int {
	if e.score == 0 {
		return 75
	}
	return e.score
}

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

var events = []event{
	{"u1", "c1", 100, engine.Deny, nil, 0, 0, false},
	{"u1", "c2", 200, engine.Deny, []string{"many"}, 10 * time.Minute, 0, false},
	{"u1", "c2", 1500, engine.Review, []string{"big"}, 20 * time.Minute, 0, false},
	{"u1", "c3", 50, engine.Deny, nil, 30 * time.Minute, 0, false},
	{"u2", "c1", 3000, engine.Allow, nil, 40 * time.Minute, 0, false},
	{"u1", "c1", 10, engine.Deny, nil, 2 * time.Hour, 0, false},
}

func (e event) past(t testing.TB) (string, engine.PastDecision) {
	rep, err := report.Decode(reportFor(t, e.user, e.riskScore()))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("id-%s-%v", e.user, e.at), engine.PastDecision{Outcome: e.outcome, FiredRules: e.fired, Report: rep,
		Context: map[string]any{"amount": e.amount, "card": e.card}, DecidedAt: t0.Add(e.at)}
}

func (e event) trace(t testing.TB) *audit.Trace {
	id, _ := e.past(t)
	ctx, _ := json.Marshal(map[string]any{"amount": e.amount, "card": e.card})
	fired := []engine.FiredRule{}
	for _, f := range e.fired {
		fired = append(fired, engine.FiredRule{ID: f, Action: e.outcome})
	}
	_ = id
	tr := &audit.Trace{DecidedAt: t0.Add(e.at), SessionID: "s", UserID: e.user, Context: ctx, Report: reportFor(t, e.user, e.riskScore()),
		ReportStatus: "ok", Policy: engine.PolicyRef{Name: "velocity", Version: "v"}, Outcome: e.outcome, Reason: engine.ReasonRules, FiredRules: fired}
	if !e.noColumn {
		rep, _ := report.Decode(tr.Report)
		score := e.riskScore()
		tr.RiskScore, tr.CheckCodes = &score, rep.DocumentedCodes() // as decision.Result.Trace sets them
	}
	return tr
}

type read struct {
	counter, key string
	at           time.Duration
	want         float64
}

// reads are in time order: each is checked after every event at or before
// its time was observed (the one at its very time must not count).
var reads = []read{
	{"user_denials_1h", "u1", 30 * time.Minute, 2}, // the decision at 30m is not before now
	{"user_denials_1h", "u1", 31 * time.Minute, 3},
	{"user_cards_1h", "u1", 31 * time.Minute, 3},
	{"user_fired_1h", "u1", 31 * time.Minute, 1},
	{"user_denials_1h", "u2", 50 * time.Minute, 0},
	{"user_denials_1h", "nobody", 50 * time.Minute, 0},
	{"user_denials_1h", "u1", 60 * time.Minute, 3},                  // the one at 0 is at now-1h: in [now-1h, now)
	{"user_denials_1h", "u1", 60*time.Minute + time.Microsecond, 2}, // and out a microsecond later
	{"card_amount_24h", "c1", 3 * time.Hour, 3110},
	{"card_amount_24h", "c2", 3 * time.Hour, 1700},
	{"card_max_24h", "c1", 3 * time.Hour, 3000},
	{"card_max_24h", "c9", 3 * time.Hour, 0},
}

// run observes the events (from the from-th on) in time order, checking
// each read once every event up to its time is in.
func run(t *testing.T, c *counters.Counters, set *engine.Set, from int) {
	t.Helper()
	next := from
	for _, r := range reads {
		for next < len(events) && events[next].at <= r.at {
			id, p := events[next].past(t)
			c.Observe(id, p)
			c.Observe(id, p) // the same decision twice (Tail and Observe) counts once
			next++
		}
		got, ok := c.Value(decl(t, set, r.counter), r.key, t0.Add(r.at))
		if !ok || got != r.want {
			t.Errorf("%s[%s] at +%v = %v (installed %v), want %v", r.counter, r.key, r.at, got, ok, r.want)
		}
	}
}

func TestObserve(t *testing.T) {
	set := loadSet(t)
	c := counters.New(counters.Config{})
	if err := c.Install(context.Background(), set, nil, t0, nil); err != nil {
		t.Fatal(err)
	}
	run(t, c, set, 0)
}

func TestRebuildFromLog(t *testing.T) {
	set := loadSet(t)
	store := audittest.MustOpen(t, filepath.Join(t.TempDir(), "d.db"), audit.Options{})
	logged := events[:5] // up to 40m: in the log at start; the rest is observed once serving
	for _, e := range logged {
		audittest.MustAppend(t, store, e.trace(t))
	}
	// Decisions outside every window are not read back.
	old := events[0]
	old.at = -48 * time.Hour
	audittest.MustAppend(t, store, old.trace(t))
	c := counters.New(counters.Config{})
	var done int64
	if err := c.Rebuild(context.Background(), set, store.(audit.RowSource), t0.Add(45*time.Minute), func(n, _ int64, _ []string) { done = n }); err != nil {
		t.Fatal(err)
	}
	if done != int64(len(logged)) {
		t.Errorf("backfill read %d rows, want %d (the old one is outside every window)", done, len(logged))
	}
	run(t, c, set, len(logged))
}

func TestOverBudgetRefused(t *testing.T) {
	set := loadSet(t)
	store := audittest.MustOpen(t, filepath.Join(t.TempDir(), "d.db"), audit.Options{})
	for _, e := range events {
		audittest.MustAppend(t, store, e.trace(t))
	}
	c := counters.New(counters.Config{Budget: 512})
	err := c.Install(context.Background(), set, store.(audit.RowSource), t0, nil)
	if err == nil || !strings.Contains(err.Error(), "over the counters' memory budget of 0.5 KiB") {
		t.Fatalf("install over budget: %v, want a refusal naming the budget", err)
	}
	for _, d := range set.Counters() {
		if !strings.Contains(err.Error(), d.Name+" ") {
			t.Errorf("the refusal %q does not name the counter %s", err, d.Name)
		}
	}
	if c.Installed(decl(t, set, "user_denials_1h")) || c.Bytes() != 0 {
		t.Errorf("a refused install kept its states (%d bytes)", c.Bytes())
	}
}

func TestKeyBounded(t *testing.T) {
	set := loadSet(t)
	c := counters.New(counters.Config{MaxEventsPerKey: 50})
	if err := c.Install(context.Background(), set, nil, t0, nil); err != nil {
		t.Fatal(err)
	}
	e := events[0]
	for i := range 200 {
		e.at = time.Duration(i) * time.Second
		id, p := e.past(t)
		c.Observe(id+fmt.Sprint(i), p)
	}
	got, _ := c.Value(decl(t, set, "user_denials_1h"), "u1", t0.Add(time.Hour))
	if got != 50 {
		t.Errorf("a key over its bound reads %v, want the bound 50", got)
	}
	before := c.Bytes()
	c.Sweep(t0.Add(48 * time.Hour))
	if after := c.Bytes(); after >= before || after != 0 {
		t.Errorf("sweep after every window: %d bytes left of %d", after, before)
	}
}

// TestAddDropsWhatLeftTheWindow: without a sweep, adding a key's decisions
// drops its events older than the window, so a key holds one window of
// events (and Lookback's), before a sweep and after one.
func TestAddDropsWhatLeftTheWindow(t *testing.T) {
	set, err := engine.LoadSources("rules", []engine.Source{{File: "rules/w.yaml", Data: []byte("name: w\ndefault: allow\non_error: review\n" +
		"counters: { per_user_1h: { key: user_id, window: 1h } }\nrules: [{id: r, when: 'counters.per_user_1h > 100', action: deny}]\n")}})
	if err != nil {
		t.Fatal(err)
	}
	c := counters.New(counters.Config{})
	if err := c.Install(context.Background(), set, nil, t0, nil); err != nil {
		t.Fatal(err)
	}
	e := events[0] // user u1
	observe := func(from, to int) {
		for i := from; i < to; i++ {
			e.at = time.Duration(i) * time.Minute
			_, p := e.past(t)
			c.Observe("", p) // no id: nothing remembered, the bytes are the key's events
		}
	}
	keyOf := func(events int64) int64 {
		return engine.CounterKeyBytes + int64(len("u1")) + events*engine.CounterEventBytes
	}
	observe(0, 3*60)
	if got, want := c.Bytes(), keyOf(61); got > want {
		t.Fatalf("after 3 hours of a decision a minute, the 1h counter holds %d bytes, over %d (61 events)", got, want)
	}
	c.Sweep(t0.Add(3 * time.Hour))
	observe(3*60, 6*60)
	if got, want := c.Bytes(), keyOf(61); got > want {
		t.Fatalf("after a sweep and 3 more hours, %d bytes, over %d (61 events)", got, want)
	}
	if got, _ := c.Value(&set.Counters()[0], "u1", t0.Add(6*time.Hour)); got != 60 {
		t.Fatalf("reads %v, want 60", got)
	}
}

func TestRetain(t *testing.T) {
	set := loadSet(t)
	c := counters.New(counters.Config{})
	_ = c.Install(context.Background(), set, nil, t0, nil)
	other, err := engine.LoadSources("rules", []engine.Source{{File: "rules/p.yaml", Data: []byte("name: p\ndefault: allow\non_error: review\nrules: [{id: r, when: 'risk_score > 90', action: deny}]\n")}})
	if err != nil {
		t.Fatal(err)
	}
	c.Retain(other)
	if c.Installed(decl(t, set, "user_denials_1h")) {
		t.Error("a counter no retained set declares is kept")
	}
}

// TestConcurrent: observing, reading, sweeping and retaining at once (run
// with -race); every observed decision is counted once.
func TestConcurrent(t *testing.T) {
	set := loadSet(t)
	c := counters.New(counters.Config{})
	if err := c.Install(context.Background(), set, nil, t0, nil); err != nil {
		t.Fatal(err)
	}
	d := decl(t, set, "user_denials_1h")
	sum := decl(t, set, "card_amount_24h")
	e := events[0]
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				ev := e
				ev.at = time.Duration(i) * time.Millisecond
				id, p := ev.past(t)
				c.Observe(fmt.Sprintf("%s-%d", id, w), p)
				c.Observe(fmt.Sprintf("%s-%d", id, w), p)
				c.Value(d, "u1", t0.Add(time.Second))
				// Read while others insert (out of order across the
				// workers): a whole number of decisions, never a torn sum.
				if v, _ := c.Value(sum, "c1", t0.Add(time.Second)); v < 0 || v > 1000*e.amount || v != e.amount*float64(int(v/e.amount)) {
					t.Errorf("card_amount_24h[c1] read %v mid-way: not a whole number of %v decisions", v, e.amount)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 50 {
			c.Sweep(t0)
			c.Retain(set)
		}
	}()
	wg.Wait()
	if got, _ := c.Value(d, "u1", t0.Add(time.Second)); got != 1000 {
		t.Errorf("after 4 × 250 decisions, each observed twice: %v, want 1000", got)
	}
}
