package audittest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// outboxStore is a store with a webhook outbox that retention prunes.
type outboxStore interface {
	audit.Store
	audit.Outbox
	audit.OutboxPruner
}

func mustOutbox(t *testing.T, url string, opts audit.Options) outboxStore {
	t.Helper()
	s := MustOpen(t, url, opts)
	ob, ok := s.(outboxStore)
	if !ok {
		t.Fatalf("%T is not an audit.Outbox and audit.OutboxPruner", s)
	}
	return ob
}

// denyAt is a deny trace (it raises one decision.denied event) decided at at.
func denyAt(i int, at time.Time) *audit.Trace {
	tr := SampleTrace(3*i + 2)
	if tr.Outcome != engine.Deny {
		panic("sample is not a deny")
	}
	tr.DecidedAt = at
	return tr
}

// allDeliveries lists every delivery with its attempts, newest first, as JSON
// by id.
func allDeliveries(t *testing.T, ob audit.Outbox) (map[int64]string, []*audit.Delivery) {
	t.Helper()
	var all []*audit.Delivery
	f := audit.DeliveryFilter{Limit: 2}
	for {
		p, err := ob.Deliveries(context.Background(), f)
		if err != nil {
			t.Fatalf("list deliveries: %v", err)
		}
		all = append(all, p.Deliveries...)
		if p.NextCursor == "" {
			break
		}
		f.Cursor = p.NextCursor
	}
	byID := map[int64]string{}
	for _, d := range all {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		byID[d.ID] = string(b) + " payload " + string(d.Payload)
	}
	return byID, all
}

// assertKept fails unless the deliveries listed now are exactly those of
// want, each listed as it was.
func assertKept(t *testing.T, ob audit.Outbox, want map[int64]string) {
	t.Helper()
	got, _ := allDeliveries(t, ob)
	for id, w := range want {
		if g, ok := got[id]; !ok {
			t.Errorf("delivery %d was pruned, want it kept: %s", id, w)
		} else if g != w {
			t.Errorf("delivery %d changed:\n got %s\nwant %s", id, g, w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("delivery %d was kept, want it pruned: %s", id, g)
		}
	}
}

// without is m less the deliveries of the given decisions.
func without(m map[int64]string, list []*audit.Delivery, decisions ...string) map[int64]string {
	out := map[int64]string{}
	for id, v := range m {
		out[id] = v
	}
	for _, d := range list {
		for _, dec := range decisions {
			if d.DecisionID == dec {
				delete(out, d.ID)
			}
		}
	}
	return out
}

func mustPruneOutbox(t *testing.T, p audit.OutboxPruner, before, now time.Time, want int64) {
	t.Helper()
	n, err := p.PruneOutbox(context.Background(), before, now)
	if err != nil {
		t.Fatalf("prune outbox before %s at %s: %v", before, now, err)
	}
	if n != want {
		t.Fatalf("prune outbox before %s at %s: %d events pruned, want %d", before, now, n, want)
	}
}

// testOutboxPrune: retention deletes the events nothing waits on (all
// deliveries finished, none made, or never fanned out and past the fan-out
// window), with their deliveries and attempts; a pending delivery keeps its
// event whole however old, and what is kept lists as before.
func testOutboxPrune(t *testing.T, newURL NewURL) {
	ctx := context.Background()
	url := newURL(t)
	s := mustOutbox(t, url, audit.Options{})
	denied := []string{audit.EventDecisionDenied}
	eps := []audit.Endpoint{{ID: "a", Events: denied}, {ID: "b", Events: denied}}
	fanAt := Base.Add(3 * time.Hour) // every event is news then
	before := Base.Add(time.Hour)

	done, retrying, redelivered := denyAt(0, Base), denyAt(1, Base.Add(time.Second)), denyAt(2, Base.Add(2*time.Second))
	MustAppend(t, s, done, retrying, redelivered)
	if n, err := s.FanOut(ctx, eps, fanAt, 100); err != nil || n != 6 {
		t.Fatalf("fan out: %d deliveries, %v; want 6", n, err)
	}
	leased, err := s.DueDeliveries(ctx, fanAt, time.Minute, 100)
	if err != nil || len(leased) != 6 {
		t.Fatalf("due deliveries: %d, %v; want 6", len(leased), err)
	}
	attempt := audit.Attempt{At: fanAt.Add(time.Second), StatusCode: 200, Millis: 1.5}
	failure := audit.Attempt{At: fanAt.Add(time.Second), StatusCode: 500, Millis: 2}
	var redeliver int64
	for _, d := range leased {
		var err error
		switch {
		case d.DecisionID == done.ID && d.Endpoint == "b", d.DecisionID == redelivered.ID && d.Endpoint == "a":
			err = s.RecordAttempt(ctx, d, failure, false, time.Time{}) // given up: failed
			if d.DecisionID == redelivered.ID {
				redeliver = d.ID
			}
		case d.DecisionID == retrying.ID && d.Endpoint == "b":
			err = s.RecordAttempt(ctx, d, failure, false, fanAt.Add(time.Hour)) // pending, retried later
		default:
			err = s.RecordAttempt(ctx, d, attempt, true, time.Time{})
		}
		if err != nil {
			t.Fatalf("record attempt of %d: %v", d.ID, err)
		}
	}
	if _, err := s.Redeliver(ctx, redeliver, fanAt.Add(time.Minute)); err != nil {
		t.Fatalf("redeliver %d: %v", redeliver, err)
	}
	// Fanned out with no delivery (no endpoint takes it), never fanned out,
	// and never fanned out but younger than the horizon.
	unsent, unfanned, young := denyAt(4, Base.Add(3*time.Second)), denyAt(5, Base.Add(4*time.Second)), denyAt(3, Base.Add(2*time.Hour))
	MustAppend(t, s, unsent)
	if n, err := s.FanOut(ctx, []audit.Endpoint{{ID: "c", Events: []string{audit.EventReviewResolved}}}, fanAt, 100); err != nil || n != 0 {
		t.Fatalf("fan out to an endpoint of other events: %d deliveries, %v; want 0", n, err)
	}
	MustAppend(t, s, unfanned, young)

	listed, list := allDeliveries(t, s)
	if len(listed) != 6 {
		t.Fatalf("%d deliveries listed, want 6", len(listed))
	}
	// Within a day of the never-fanned event: an endpoint added now could
	// still get it, so it stays. done and unsent go; the rest wait.
	mustPruneOutbox(t, s, before, Base.Add(12*time.Hour), 2)
	kept := without(listed, list, done.ID)
	assertKept(t, s, kept)
	for _, d := range list {
		if d.DecisionID == done.ID { // gone: it can no longer be sent again
			if _, err := s.Redeliver(ctx, d.ID, fanAt.Add(time.Hour)); !errors.Is(err, audit.ErrNotFound) {
				t.Fatalf("redeliver pruned delivery %d: %v, want ErrNotFound", d.ID, err)
			}
		}
	}
	assertKept(t, s, kept)
	// A day later the never-fanned event goes too; no delivery changes.
	mustPruneOutbox(t, s, before, Base.Add(48*time.Hour), 1)
	assertKept(t, s, kept)
	mustPruneOutbox(t, s, before, Base.Add(48*time.Hour), 0)

	// The retried delivery succeeds: its event goes at the next prune.
	due, err := s.DueDeliveries(ctx, fanAt.Add(2*time.Hour), time.Minute, 100)
	if err != nil || len(due) != 2 {
		t.Fatalf("due deliveries: %d, %v; want 2 (retrying, redelivered)", len(due), err)
	}
	for _, d := range due {
		if d.DecisionID == retrying.ID {
			if err := s.RecordAttempt(ctx, d, attempt, true, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	listed, list = allDeliveries(t, s)
	mustPruneOutbox(t, s, before, Base.Add(48*time.Hour), 1)
	kept = without(listed, list, retrying.ID)
	assertKept(t, s, kept)

	// However late the horizon, the pending delivery keeps its event and its
	// finished sibling; the young event goes once old.
	far := Base.Add(1000 * 24 * time.Hour)
	mustPruneOutbox(t, s, far, far, 1)
	assertKept(t, s, kept)
	if len(kept) != 2 {
		t.Fatalf("%d deliveries kept, want the 2 of the redelivered event", len(kept))
	}

	r := mustOutbox(t, url, audit.Options{ReadOnly: true})
	if _, err := r.PruneOutbox(ctx, far, far); !errors.Is(err, audit.ErrReadOnly) {
		t.Fatalf("prune outbox read-only: %v, want ErrReadOnly", err)
	}
}

// testOutboxPruneChunks: more events than one chunk are pruned across
// chunks, and a pending delivery among them is kept.
func testOutboxPruneChunks(t *testing.T, newURL NewURL) {
	ctx := context.Background()
	s := mustOutbox(t, newURL(t), audit.Options{})
	const each = 150
	at := func(i int) time.Time { return Base.Add(time.Duration(i) * time.Millisecond) }
	for i := 0; i < each; i++ {
		MustAppend(t, s, denyAt(i, at(i)))
	}
	fanAt := Base.Add(time.Hour)
	if n, err := s.FanOut(ctx, []audit.Endpoint{{ID: "none", Events: []string{audit.EventReviewResolved}}}, fanAt, 1000); err != nil || n != 0 {
		t.Fatalf("fan out: %d, %v; want 0 deliveries", n, err)
	}
	pending := denyAt(each, at(each))
	MustAppend(t, s, pending)
	if n, err := s.FanOut(ctx, []audit.Endpoint{{ID: "a", Events: []string{audit.EventDecisionDenied}}}, fanAt, 1000); err != nil || n != 1 {
		t.Fatalf("fan out: %d, %v; want 1 delivery", n, err)
	}
	for i := each + 1; i <= 2*each; i++ { // never fanned out
		MustAppend(t, s, denyAt(i, at(i)))
	}
	listed, _ := allDeliveries(t, s)
	now := Base.Add(72 * time.Hour)
	mustPruneOutbox(t, s, Base.Add(time.Hour), now, 2*each)
	assertKept(t, s, listed)
	mustPruneOutbox(t, s, Base.Add(time.Hour), now, 0)
}

// testOutboxPruneRace: deliveries sent again by hand while retention prunes
// (from a second store on the same log, as another replica would) are
// either pruned first (the redeliver answers ErrNotFound) or kept pending
// and listed; never deleted once pending, never left without their event.
func testOutboxPruneRace(t *testing.T, newURL NewURL) {
	ctx := context.Background()
	url := newURL(t)
	s, other := mustOutbox(t, url, audit.Options{}), mustOutbox(t, url, audit.Options{})
	const events = 300 // more than a chunk
	for i := 0; i < events; i++ {
		MustAppend(t, s, denyAt(i, Base.Add(time.Duration(i)*time.Millisecond)))
	}
	fanAt := Base.Add(time.Hour)
	if n, err := s.FanOut(ctx, []audit.Endpoint{{ID: "a", Events: []string{audit.EventDecisionDenied}}}, fanAt, 1000); err != nil || n != events {
		t.Fatalf("fan out: %d, %v; want %d", n, err, events)
	}
	leased, err := s.DueDeliveries(ctx, fanAt, time.Minute, 1000)
	if err != nil || len(leased) != events {
		t.Fatalf("due deliveries: %d, %v", len(leased), err)
	}
	for _, d := range leased {
		if err := s.RecordAttempt(ctx, d, audit.Attempt{At: fanAt, StatusCode: 500}, false, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	var pruned int64
	var pruneErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		pruned, pruneErr = s.PruneOutbox(ctx, Base.Add(time.Hour), Base.Add(48*time.Hour))
	}()
	redelivered := map[int64]bool{} // those the redeliver found
	var redeliverErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		for i := len(leased) - 1; i >= 0; i -= 3 { // from the newest, which the prune reaches last
			d := leased[i]
			_, err := other.Redeliver(ctx, d.ID, fanAt.Add(time.Hour))
			switch {
			case err == nil:
				redelivered[d.ID] = true
			case !errors.Is(err, audit.ErrNotFound):
				redeliverErr = err
				return
			}
		}
	}()
	close(start)
	wg.Wait()
	if pruneErr != nil || redeliverErr != nil {
		t.Fatalf("prune: %v; redeliver: %v", pruneErr, redeliverErr)
	}
	_, list := allDeliveries(t, s)
	listed := map[int64]*audit.Delivery{}
	for _, d := range list {
		listed[d.ID] = d
	}
	for id := range redelivered {
		d, ok := listed[id]
		switch {
		case !ok:
			t.Errorf("delivery %d was sent again (pending) and then pruned", id)
		case d.Status != audit.DeliveryPending || len(d.History) != 1 || d.History[0].StatusCode != 500:
			t.Errorf("delivery %d was sent again and then changed: status %s, attempts %+v; want pending with its one HTTP 500", id, d.Status, d.History)
		}
	}
	if int(pruned)+len(list) != events {
		t.Errorf("%d events pruned and %d deliveries left, want %d in all", pruned, len(list), events)
	}
	t.Logf("%d pruned, %d sent again and kept", pruned, len(redelivered))
}
