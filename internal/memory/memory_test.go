package memory_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/internal/lists"
	"github.com/verdicthq/verdict/internal/memory"
	"github.com/verdicthq/verdict/report"
)

// live is the policy that decides: a block list, an allow list (as a log
// list here) and two counters.
const live = `name: live
default: allow
on_error: review
context: { amount: number, card: string }
lists:
  blocked_users: {}
  trusted_users: {}
counters:
  user_denials_1h: { key: user_id, window: 1h, where: outcome == "deny" }
  card_amount_1h:  { key: context.card, window: 1h, sum: context.amount }
rules:
  - { id: blocked, when: 'user_id in lists.blocked_users', action: deny }
  - { id: repeat, when: 'counters.user_denials_1h >= 2', action: deny }
  - { id: velocity, when: 'counters.card_amount_1h + context.amount >= 1000 && user_id not in lists.trusted_users', action: review }
  - { id: score, when: 'risk_score >= 70', action: deny }
`

// candidate reads a counter and a list use the live policy does not.
const candidate = `name: candidate
mode: shadow
match: { tags: [checkout-flow] }
default: allow
on_error: review
context: { amount: number, card: string }
lists:
  blocked_users: {}
  vip_users: {}
counters:
  user_decisions_1h: { key: user_id, window: 1h }
rules:
  - { id: busy, when: 'counters.user_decisions_1h >= 3', action: review }
  - { id: blocked, when: 'user_id in lists.blocked_users', action: deny }
  - { id: vip, when: 'user_id in lists.vip_users', action: review }
`

func loadSet(t *testing.T, srcs ...string) *engine.Set {
	t.Helper()
	var ss []engine.Source
	for i, s := range srcs {
		ss = append(ss, engine.Source{File: filepath.Join("rules", string(rune('a'+i))+".yaml"), Data: []byte(s)})
	}
	set, err := engine.LoadSources("rules", ss)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return set
}

func readReport(t *testing.T, name string) *report.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reports", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReplayExact makes a decision log with lists and counters through the
// real pipeline, memory and SQLite log, then replays it: the policy that
// decided reproduces every decision (0 changed), and a candidate reading a
// counter and a list the live policy did not gets them computed as of each
// decision's time, equal to what it read live as the shadow policy.
func TestReplayExact(t *testing.T) {
	ctx := context.Background()
	store := audittest.MustOpen(t, filepath.Join(t.TempDir(), "d.db"), audit.Options{})
	ls := store.(audit.ListStore)
	set := loadSet(t, live, candidate)
	mem := &memory.Memory{Lists: lists.NewMemory(), Counters: counters.New(counters.Config{})}
	if err := mem.Lists.Load(ctx, ls); err != nil {
		t.Fatal(err)
	}
	if err := mem.Counters.Install(ctx, set, store.(audit.RowSource), time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Microsecond)
	clock := t0
	svc := &lists.Service{Store: ls, Memory: mem.Lists, Declared: func() map[string]lists.Decl { return lists.DeclsOf(set) },
		Now: func() time.Time { return clock }}
	p := &decision.Pipeline{Policies: decision.Static(set), Memory: mem}
	reports := []*report.Report{readReport(t, "demo-allow"), readReport(t, "demo-deny"), readReport(t, "band-50"), readReport(t, "band-70")}
	cards := []string{"card-a", "card-b", "card-c"}
	shadowOutcome := map[string]engine.Outcome{}
	n := 0
	for i := range 90 {
		clock = t0.Add(time.Duration(i) * 2 * time.Minute)
		switch i {
		case 10:
			put(t, svc, "blocked_users", "user-demo-allow")
		case 25:
			put(t, svc, "trusted_users", "user-band-50")
			put(t, svc, "vip_users", "user-band-70")
		case 40:
			if err := svc.Delete(ctx, "blocked_users", "user-demo-allow", audit.ListChange{KeyID: "ana"}); err != nil {
				t.Fatal(err)
			}
		}
		ctxVals := map[string]any{"amount": float64(100 + 37*(i%9)), "card": cards[i%3]}
		raw, _ := json.Marshal(ctxVals)
		res, err := p.Decide(ctx, decision.Request{Report: reports[i%4], Context: ctxVals, RawContext: raw, Now: clock.Add(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Trace()
		tr.KeyID = "test"
		audittest.MustAppend(t, store, tr)
		mem.Recorded(&res)
		if res.Shadow != nil {
			shadowOutcome[res.DecisionID] = res.Shadow.Outcome
		}
		if tr.Memory == nil || len(tr.Memory.Counters) != 2 {
			t.Fatalf("decision %d: trace memory %+v, want both counters of the live policy", i, tr.Memory)
		}
		n++
	}

	// The same policy: every decision as stored.
	liveOnly := loadSet(t, live)
	rep, err := audit.Replay(ctx, store, decision.ReplayDecider(liveOnly), audit.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Replayed != int64(n) || rep.Changed != 0 || rep.RulesChanged != 0 {
		t.Fatalf("replay of the policy that decided: %d of %d replayed, %d changed, %d with other rules; want 0 changed", rep.Replayed, n, rep.Changed, rep.RulesChanged)
	}
	fired := 0
	for _, r := range rep.Rules {
		fired += int(r.Stored)
	}
	if fired < 20 {
		t.Fatalf("the log exercises too little: %d rule fires (%+v)", fired, rep.Rules)
	}

	// Without the stored reads (the memory recomputed from nothing), the
	// same replay would change decisions: the test can fail.
	blind, err := audit.Replay(ctx, store, func(in audit.ReplayInput) engine.Decision {
		in.Memory = nil
		return decision.ReplayDecider(liveOnly)(in)
	}, audit.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if blind.Changed == 0 && blind.RulesChanged == 0 {
		t.Fatal("replay without the stored memory changes nothing: the log does not depend on memory")
	}

	// The candidate as the main policy: its own counter and vip list are
	// computed as of each decision and match what it read live as shadow.
	cand := loadSet(t, `name: candidate
default: allow
on_error: review
context: { amount: number, card: string }
lists:
  blocked_users: {}
  vip_users: {}
counters:
  user_decisions_1h: { key: user_id, window: 1h }
rules:
  - { id: busy, when: 'counters.user_decisions_1h >= 3', action: review }
  - { id: blocked, when: 'user_id in lists.blocked_users', action: deny }
  - { id: vip, when: 'user_id in lists.vip_users', action: review }
`)
	h, err := lists.LoadHistory(ctx, ls)
	if err != nil {
		t.Fatal(err)
	}
	past, err := counters.History(ctx, cand, store.(audit.RowSource), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	rm := &decision.ReplayMemory{AsOf: decision.AsOf{
		Lists: func(at time.Time) engine.Lists { return h.At(at) },
		Counter: func(d *engine.CounterDecl, key string, at time.Time) float64 {
			v, _ := past.Value(d, key, at)
			return v
		},
	}}
	var mu sync.Mutex
	mismatch := 0
	decide := decision.ReplayMemoryDecider(cand, rm)
	rep, err = audit.Replay(ctx, store, func(in audit.ReplayInput) engine.Decision {
		d := decide(in)
		mu.Lock()
		if want, ok := shadowOutcome[in.ID]; !ok || want != d.Outcome {
			mismatch++
		}
		mu.Unlock()
		return d
	}, audit.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mismatch != 0 {
		t.Errorf("%d of %d candidate decisions differ from what the candidate decided live", mismatch, rep.Replayed)
	}
	c := rm.Computed()
	if c["counters.user_decisions_1h"] != int64(n) || c["lists.vip_users"] != int64(n) {
		t.Errorf("computed memory %v: want the candidate's counter and vip list computed for all %d", c, n)
	}
	if _, ok := c["lists.blocked_users"]; ok {
		t.Errorf("blocked_users was read by the stored decisions too, yet computed: %v", c)
	}
}

func put(t *testing.T, svc *lists.Service, list, v string) {
	t.Helper()
	if _, _, err := svc.Put(context.Background(), list, audit.ListItem{Value: v, KeyID: "ana"}); err != nil {
		t.Fatal(err)
	}
}
