package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/webhook"
)

// TestWebhookDeliveriesAPI: a receiver that answers 500 makes a pending
// delivery, shown by GET /v1/webhooks/deliveries; after 24 h it is failed,
// listed by ?status=failed, and POST .../redeliver sends it again.
func TestWebhookDeliveriesAPI(t *testing.T) {
	for _, b := range logBackends() {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t)
			clock := &fakeClock{now: time.Now().UTC()}
			h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: store, clock: clock.Now})
			status := http.StatusInternalServerError
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
			defer rc.Close()
			d, err := webhook.New(webhook.Options{Store: store.(audit.Outbox), Now: clock.Now, Log: zerolog.Nop(),
				Endpoints: []webhook.Endpoint{{URL: rc.URL + "/hook?token=t0ps3cret", Secret: "whsec-0123456789abcdef", Events: []string{"decision.denied"}}}})
			if err != nil {
				t.Fatal(err)
			}
			deny := h.decide(`{"session_id":"t-deny"}`).decision(t)
			h.decide(`{"session_id":"t-allow"}`).decision(t)
			run := func() {
				if _, err := d.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			run()
			type page struct {
				Deliveries []struct {
					ID         int64
					Endpoint   string
					DecisionID string `json:"decision_id"`
					Status     string
					Attempts   int
					History    []struct {
						StatusCode int `json:"status_code"`
					}
				}
			}
			p := decodeInto[page](t, h.do(req{method: "GET", path: "/v1/webhooks/deliveries", key: keyOps}))
			if len(p.Deliveries) != 1 || p.Deliveries[0].Status != "pending" || p.Deliveries[0].History[0].StatusCode != 500 {
				t.Fatalf("deliveries: %+v", p)
			}
			if r := h.do(req{method: "GET", path: "/v1/webhooks/deliveries", key: keyAuditor}); r.status != 403 {
				t.Fatalf("audit key read deliveries: %d", r.status)
			}
			for range 60 {
				clock.Add(time.Hour)
				run()
			}
			f := decodeInto[page](t, h.do(req{method: "GET", path: "/v1/webhooks/deliveries?status=failed", key: keyOps}))
			if len(f.Deliveries) != 1 || f.Deliveries[0].Attempts < 5 {
				t.Fatalf("failed deliveries: %+v", f)
			}
			status = http.StatusNoContent
			id := f.Deliveries[0].ID
			if r := h.do(req{method: "POST", path: fmt.Sprintf("/v1/webhooks/deliveries/%d/redeliver", id), key: keyOps}); r.status != 200 {
				t.Fatalf("redeliver: %d %s", r.status, r.body)
			}
			run()
			ok := decodeInto[page](t, h.do(req{method: "GET", path: "/v1/webhooks/deliveries?status=delivered", key: keyOps}))
			if len(ok.Deliveries) != 1 || ok.Deliveries[0].DecisionID != deny.DecisionID {
				t.Fatalf("delivered: %+v", ok)
			}
			if r := h.do(req{method: "POST", path: "/v1/webhooks/deliveries/99999/redeliver", key: keyOps}); r.status != 404 {
				t.Fatalf("redeliver unknown: %d", r.status)
			}
			if r := h.do(req{method: "GET", path: "/v1/webhooks/deliveries?status=lost", key: keyOps}); r.status != 400 {
				t.Fatalf("bad status: %d", r.status)
			}
		})
	}
}

// TestHangingWebhookNeverHoldsADecision: while the only receiver hangs on
// its first event, decisions keep being answered, and the deliverer keeps
// its bounded number of attempts in flight.
func TestHangingWebhookNeverHoldsADecision(t *testing.T) {
	store := openLog(t, t.TempDir()+"/verdict.db")
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: store})
	release, arrived := make(chan struct{}), make(chan struct{}, 64)
	var inFlight, most atomic.Int32
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer rc.Close()
	defer close(release)
	d, err := webhook.New(webhook.Options{Store: store.(audit.Outbox), Log: zerolog.Nop(), Poll: 5 * time.Millisecond, Parallel: 2,
		Endpoints: []webhook.Endpoint{{URL: rc.URL, Secret: "whsec-0123456789abcdef", Events: []string{"decision.denied"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	h.decide(`{"session_id":"t-deny"}`).decision(t)
	<-arrived // the receiver holds the first delivery from now on
	for range 30 {
		if d := h.decide(`{"session_id":"t-deny"}`).decision(t); d.Outcome != "deny" {
			t.Fatalf("outcome %s", d.Outcome)
		}
	}
	if m := most.Load(); m > 2 {
		t.Fatalf("%d attempts in flight at once, want at most Parallel=2", m)
	}
}
