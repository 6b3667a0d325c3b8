package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/testwait"
	"github.com/verdicthq/verdict/internal/webhook"
)

const secret = "whsec-test-0123456789"

// clock is a hand-moved clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// receiver is a real local HTTP server that records what it got and
// answers with handle.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	handle func(w http.ResponseWriter, r *http.Request)
}

type received struct {
	event webhookEvent
	err   error // the signature check
}

type webhookEvent struct {
	ID, Type   string
	DecisionID string `json:"decision_id"`
	Data       struct{ Outcome, Resolution string }
}

func newReceiver(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{handle: handle}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev webhookEvent
		_ = json.Unmarshal(body, &ev)
		rc.mu.Lock()
		rc.got = append(rc.got, received{event: ev, err: webhook.Verify(r.Header.Get(webhook.SignatureHeader), secret, body, time.Now(), 5*time.Minute)})
		rc.mu.Unlock()
		if rc.handle != nil {
			rc.handle(w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) events() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

type setup struct {
	url   string
	store audit.Store
	clock *clock
}

func newSetup(t *testing.T) *setup {
	url := filepath.Join(t.TempDir(), "verdict.db")
	return &setup{url: url, store: audittest.MustOpen(t, url, audit.Options{}), clock: &clock{now: time.Now().UTC()}}
}

func (s *setup) deliverer(t *testing.T, eps ...webhook.Endpoint) *webhook.Deliverer {
	d, err := webhook.New(webhook.Options{Store: s.store.(audit.Outbox), Endpoints: eps, Now: s.clock.Now, Rand: func() float64 { return 1 },
		Timeout: 2 * time.Second, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func deny(i int) *audit.Trace {
	tr := audittest.SampleTrace(3*i + 2)
	if tr.Outcome != engine.Deny {
		panic("sample is not a deny")
	}
	return tr
}

func endpoint(url string, events ...string) webhook.Endpoint {
	if len(events) == 0 {
		events = audit.EventTypes
	}
	return webhook.Endpoint{URL: url, Secret: secret, Events: events}
}

func runOnce(t *testing.T, d *webhook.Deliverer) int {
	t.Helper()
	n, err := d.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("run once: %v", err)
	}
	return n
}

func deliveries(t *testing.T, s audit.Store, status string) []*audit.Delivery {
	t.Helper()
	p, err := s.(audit.Outbox).Deliveries(context.Background(), audit.DeliveryFilter{Status: status})
	if err != nil {
		t.Fatal(err)
	}
	return p.Deliveries
}

func TestSignedEventsOnlyToSubscribers(t *testing.T) {
	s := newSetup(t)
	all := newReceiver(t, nil)
	reviewsOnly := newReceiver(t, nil)
	d := s.deliverer(t, endpoint(all.URL), endpoint(reviewsOnly.URL, audit.EventReviewOpened, audit.EventReviewResolved))
	review := audittest.ReviewTrace(0, "checkout")
	denied, allowed := deny(0), audittest.SampleTrace(0)
	audittest.MustAppend(t, s.store, review, denied, allowed)
	if _, err := s.store.(audit.Reviews).ResolveReview(context.Background(), review.ID, audit.Resolution{Outcome: engine.Deny, By: "alice", At: s.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if n := runOnce(t, d); n != 5 {
		t.Fatalf("%d attempts, want 5 (3 events to one endpoint, 2 to the other)", n)
	}
	kinds := func(rs []received) string {
		var out []string
		for _, r := range rs {
			if r.err != nil {
				t.Errorf("event %s: signature: %v", r.event.ID, r.err)
			}
			out = append(out, r.event.Type+":"+r.event.DecisionID[len(r.event.DecisionID)-4:])
		}
		sort.Strings(out) // attempts run in parallel: receivers must not rely on order
		return strings.Join(out, " ")
	}
	got := all.events()
	want := "decision.denied:" + denied.ID[len(denied.ID)-4:] + " review.opened:" + review.ID[len(review.ID)-4:] + " review.resolved:" + review.ID[len(review.ID)-4:]
	if len(got) != 3 || got[0].event.ID == "" || kinds(got) != want {
		t.Fatalf("all-events endpoint got %s, want %s", kinds(got), want)
	}
	for _, r := range got {
		if r.event.Type == audit.EventReviewResolved && r.event.Data.Resolution != "deny" {
			t.Fatalf("resolved event data: %+v", r.event)
		}
	}
	if r := reviewsOnly.events(); len(r) != 2 || kinds(r) != "review.opened:"+review.ID[len(review.ID)-4:]+" review.resolved:"+review.ID[len(review.ID)-4:] {
		t.Fatalf("reviews-only endpoint got %s", kinds(r))
	}
	if n := runOnce(t, d); n != 0 {
		t.Fatalf("a second round made %d attempts, want 0", n)
	}
	if ds := deliveries(t, s.store, audit.DeliveryDelivered); len(ds) != 5 || ds[0].Attempts != 1 || len(ds[0].History) != 1 || ds[0].History[0].StatusCode != 200 {
		t.Fatalf("delivered: %+v", ds)
	}
}

func TestRetriesWithBackoffThenFails(t *testing.T) {
	s := newSetup(t)
	var fail atomic.Bool
	fail.Store(true)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	})
	d := s.deliverer(t, endpoint(rc.URL))
	audittest.MustAppend(t, s.store, deny(0))
	runOnce(t, d)
	p := deliveries(t, s.store, audit.DeliveryPending)
	if len(p) != 1 || p[0].Attempts != 1 || !strings.Contains(p[0].LastError, "500") {
		t.Fatalf("after a 500: %+v", p)
	}
	// Backoff doubles (jitter fixed at its top): 10 s, 20 s, 40 s, ... up to 1 h.
	if want := s.clock.Now().Add(webhook.FirstRetry).Truncate(time.Microsecond); !p[0].NextAt.Equal(want) {
		t.Fatalf("next attempt at %v, want %v", p[0].NextAt, want)
	}
	if n := runOnce(t, d); n != 0 {
		t.Fatalf("retried before its time: %d", n)
	}
	var gaps []time.Duration
	for range 100 {
		p := deliveries(t, s.store, "")
		if p[0].Status != audit.DeliveryPending {
			break
		}
		gap := p[0].NextAt.Sub(s.clock.Now().Truncate(time.Microsecond))
		gaps = append(gaps, gap)
		s.clock.Add(gap)
		runOnce(t, d)
	}
	f := deliveries(t, s.store, audit.DeliveryFailed)
	if len(f) != 1 {
		t.Fatalf("not failed after 24 h: %+v (gaps %v)", deliveries(t, s.store, ""), gaps)
	}
	if gaps[0] != 10*time.Second || gaps[1] != 20*time.Second || gaps[len(gaps)-1] != time.Hour {
		t.Fatalf("backoff gaps %v", gaps)
	}
	if f[0].Attempts != len(gaps)+1 || len(f[0].History) != f[0].Attempts || f[0].Attempts > 40 {
		t.Fatalf("attempts %d, history %d, gaps %d", f[0].Attempts, len(f[0].History), len(gaps))
	}
	// Sent again by hand, to a receiver that works now.
	fail.Store(false)
	if _, err := s.store.(audit.Outbox).Redeliver(context.Background(), f[0].ID, s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	runOnce(t, d)
	if ds := deliveries(t, s.store, audit.DeliveryDelivered); len(ds) != 1 {
		t.Fatalf("redelivered: %+v", deliveries(t, s.store, ""))
	}
	if _, err := s.store.(audit.Outbox).Redeliver(context.Background(), 999, s.clock.Now()); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("redeliver unknown: %v", err)
	}
}

func TestSurvivesRestart(t *testing.T) {
	url := filepath.Join(t.TempDir(), "verdict.db")
	c := &clock{now: time.Now().UTC()}
	var fail atomic.Bool
	fail.Store(true)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	st, err := audit.Open(context.Background(), url, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	audittest.MustAppend(t, st, deny(0))
	d, _ := webhook.New(webhook.Options{Store: st.(audit.Outbox), Endpoints: []webhook.Endpoint{endpoint(rc.URL)}, Now: c.Now, Log: zerolog.Nop()})
	runOnce(t, d)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// A new process: a new store and deliverer on the same file.
	fail.Store(false)
	st2 := audittest.MustOpen(t, url, audit.Options{})
	d2, _ := webhook.New(webhook.Options{Store: st2.(audit.Outbox), Endpoints: []webhook.Endpoint{endpoint(rc.URL)}, Now: c.Now, Log: zerolog.Nop()})
	c.Add(webhook.MaxRetry)
	runOnce(t, d2)
	if ds := deliveries(t, st2, audit.DeliveryDelivered); len(ds) != 1 || ds[0].Attempts != 2 {
		t.Fatalf("after restart: %+v", deliveries(t, st2, ""))
	}
	if n := len(rc.events()); n != 2 {
		t.Fatalf("receiver got %d requests, want 2 (one failed, one after the restart)", n)
	}
}

func TestHostileReceivers(t *testing.T) {
	t.Run("a redirect is not followed", func(t *testing.T) {
		s := newSetup(t)
		var elsewhere atomic.Int32
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
		defer other.Close()
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL, http.StatusFound) })
		d := s.deliverer(t, endpoint(rc.URL))
		audittest.MustAppend(t, s.store, deny(0))
		runOnce(t, d)
		p := deliveries(t, s.store, audit.DeliveryPending)
		if elsewhere.Load() != 0 || len(p) != 1 || p[0].History[0].StatusCode != http.StatusFound {
			t.Fatalf("redirect followed %d times; delivery %+v", elsewhere.Load(), p)
		}
	})
	t.Run("a huge answer is not read", func(t *testing.T) {
		s := newSetup(t)
		const huge = 200 << 20
		written := make(chan int64, 1)
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			chunk := make([]byte, 1<<20)
			var n int64
			for n < huge {
				k, err := w.Write(chunk)
				n += int64(k)
				if err != nil {
					break
				}
			}
			written <- n
		})
		d := s.deliverer(t, endpoint(rc.URL))
		audittest.MustAppend(t, s.store, deny(0))
		runOnce(t, d)
		if n := <-written; n >= huge {
			t.Fatalf("the receiver wrote all %d bytes: the answer was read whole", n)
		}
		if ds := deliveries(t, s.store, audit.DeliveryDelivered); len(ds) != 1 {
			t.Fatalf("a 200 with a huge body is delivered: %+v", deliveries(t, s.store, ""))
		}
	})
	t.Run("a hanging receiver costs one attempt and holds up no append", func(t *testing.T) {
		s := newSetup(t)
		release := make(chan struct{})
		arrived := make(chan struct{}, 100)
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		d, err := webhook.New(webhook.Options{Store: s.store.(audit.Outbox), Endpoints: []webhook.Endpoint{endpoint(rc.URL)},
			Now: s.clock.Now, Timeout: 300 * time.Millisecond, Poll: 10 * time.Millisecond, Log: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { d.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		audittest.MustAppend(t, s.store, deny(0))
		<-arrived // the receiver now hangs on the first event
		for i := 1; i <= 50; i++ {
			audittest.MustAppend(t, s.store, deny(i)) // each returns: nothing waits on the receiver
		}
		testwait.Until(t, "an attempt that timed out", func() bool {
			for _, x := range deliveries(t, s.store, "") {
				for _, a := range x.History {
					if strings.Contains(a.Error, "Timeout") || strings.Contains(a.Error, "deadline") {
						return true
					}
				}
			}
			return false
		})
		select {
		case <-release:
			t.Fatal("released early")
		default: // the receiver is still hanging, and every append has returned
		}
	})
}

// TestOldEventsAreNotSentToANewEndpoint: events queued while no endpoint
// was configured, older than a day when the deliverer first runs, are
// marked and not sent; a fresh one is.
func TestOldEventsAreNotSentToANewEndpoint(t *testing.T) {
	s := newSetup(t)
	old := deny(0)
	old.DecidedAt = s.clock.Now().Add(-48 * time.Hour)
	fresh := deny(1)
	fresh.DecidedAt = s.clock.Now().Add(-time.Minute)
	audittest.MustAppend(t, s.store, old, fresh)
	rc := newReceiver(t, nil)
	d := s.deliverer(t, endpoint(rc.URL))
	runOnce(t, d)
	got := rc.events()
	if len(got) != 1 || got[0].event.DecisionID != fresh.ID {
		t.Fatalf("sent %+v, want only the fresh event", got)
	}
	if n := runOnce(t, d); n != 0 {
		t.Fatalf("a second round sent %d", n)
	}
}
