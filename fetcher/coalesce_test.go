package fetcher_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/report"
)

// TestCoalescing: 100 concurrent fetches of one uncached session make exactly
// one upstream request and all get the same report.
func TestCoalescing(t *testing.T) {
	h := newHarness(t, longBudget)
	// The one request is held open until every caller has joined it.
	release := make(chan struct{})
	h.srv.SetFault("sess-full", roundtabletest.Fault{Hold: release})
	const n = 100
	var wg sync.WaitGroup
	reports := make([]*report.Report, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			reports[i], errs[i] = h.client.Fetch(context.Background(), "sess-full")
		})
	}
	close(start)
	waitForWaiters(t, h.client, "sess-full", n)
	close(release)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("fetch %d: %v", i, errs[i])
		}
		if reports[i] != reports[0] {
			t.Fatalf("fetch %d got a different report", i)
		}
	}
	if got := h.srv.RequestCount("sess-full"); got != 1 {
		t.Errorf("upstream requests = %d, want exactly 1", got)
	}
}

// TestCoalescingFailureShared: the waiters share a failure too, and it is not
// kept: the next fetch asks again.
func TestCoalescingFailureShared(t *testing.T) {
	h := newHarness(t, func(c *fetcher.Config) { longBudget(c); c.MaxAttempts = 1 })
	release := make(chan struct{})
	h.srv.SetFault("sess-full", roundtabletest.Fault{Hold: release, Status: 503, Times: 1})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := h.client.Fetch(context.Background(), "sess-full"); !errors.Is(err, report.ErrUnavailable) {
				t.Errorf("Fetch: %v, want ErrUnavailable", err)
			}
		})
	}
	waitForWaiters(t, h.client, "sess-full", 20)
	close(release)
	wg.Wait()
	if _, _, err := h.fetch("sess-full"); err != nil {
		t.Fatalf("fetch after the failure: %v", err)
	}
	if got := h.srv.RequestCount("sess-full"); got != 2 {
		t.Errorf("upstream requests = %d, want 2", got)
	}
}

// TestCallerCancelDoesNotFailOthers: a coalesced caller giving up returns at
// once with ErrUnavailable; the others, the leader among them, still get the
// report from the one upstream request.
func TestCallerCancelDoesNotFailOthers(t *testing.T) {
	h := newHarness(t, longBudget)
	release := make(chan struct{})
	h.srv.SetFault("sess-full", roundtabletest.Fault{Hold: release})

	leader := make(chan error, 1)
	go func() {
		_, err := h.client.Fetch(context.Background(), "sess-full")
		leader <- err
	}()
	waitFor(t, "the upstream request", func() bool { return h.srv.RequestTotal() > 0 })
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := h.client.Fetch(context.Background(), "sess-full"); err != nil {
				t.Errorf("a waiter failed: %v", err)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	quitter := make(chan error, 1)
	go func() {
		_, err := h.client.Fetch(ctx, "sess-full")
		quitter <- err
	}()
	waitForWaiters(t, h.client, "sess-full", 12)
	cancel()
	select {
	case err := <-quitter:
		if !errors.Is(err, report.ErrUnavailable) || !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled caller got %v, want report.ErrUnavailable wrapping context.Canceled", err)
		}
	case err := <-leader:
		t.Fatalf("the leader finished while the request was held: %v", err)
	}
	close(release)
	if err := <-leader; err != nil {
		t.Errorf("leader: %v", err)
	}
	wg.Wait()
	if got := h.srv.RequestCount("sess-full"); got != 1 {
		t.Errorf("upstream requests = %d, want 1", got)
	}
}

// TestLeaderCancelDoesNotFailOthers: the caller that started the shared
// fetch giving up does not cancel it for the others.
func TestLeaderCancelDoesNotFailOthers(t *testing.T) {
	h := newHarness(t, longBudget)
	release := make(chan struct{})
	h.srv.SetFault("sess-full", roundtabletest.Fault{Hold: release})
	ctx, cancel := context.WithCancel(context.Background())
	leader := make(chan error, 1)
	go func() {
		_, err := h.client.Fetch(ctx, "sess-full")
		leader <- err
	}()
	waitFor(t, "the upstream request", func() bool { return h.srv.RequestTotal() > 0 })
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := h.client.Fetch(context.Background(), "sess-full"); err != nil {
				t.Errorf("a waiter failed: %v", err)
			}
		})
	}
	waitForWaiters(t, h.client, "sess-full", 11)
	cancel()
	close(release)
	wg.Wait()
	if err := <-leader; err != nil {
		t.Errorf("leader: %v (it stays with a fetch others wait on, and gets the report)", err)
	}
	if got := h.srv.RequestCount("sess-full"); got != 1 {
		t.Errorf("upstream requests = %d, want 1", got)
	}
}

// TestCallerDeadlineShorterThanBudget: a caller's own deadline wins.
func TestCallerDeadlineShorterThanBudget(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.SetFault("sess-full", roundtabletest.Fault{Latency: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := h.client.Fetch(ctx, "sess-full")
	if !errors.Is(err, report.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Fetch: %v, want report.ErrUnavailable wrapping context.DeadlineExceeded", err)
	}
}

// TestAllCallersGone: when the last caller leaves, the upstream request is
// abandoned and the next caller starts a fresh one.
func TestAllCallersGone(t *testing.T) {
	h := newHarness(t, longBudget)
	h.srv.SetFault("sess-full", roundtabletest.Fault{Hold: make(chan struct{}), Times: 1}) // held for ever
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.client.Fetch(ctx, "sess-full")
		done <- err
	}()
	waitFor(t, "the upstream request", func() bool { return h.srv.RequestTotal() > 0 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch: %v, want context.Canceled", err)
	}
	rep, _, err := h.fetch("sess-full")
	if err != nil || rep.SessionID != "sess-full" {
		t.Fatalf("fresh fetch: %v", err)
	}
	if got := h.srv.RequestCount("sess-full"); got != 2 {
		t.Errorf("upstream requests = %d, want 2", got)
	}
	if s := h.client.BreakerState(); s != "closed" {
		t.Errorf("breaker %s: a cancelled fetch must not count against Roundtable", s)
	}
}

func TestCancelledContextBeforeFetch(t *testing.T) {
	h := newHarness(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.client.Fetch(ctx, "sess-full"); !errors.Is(err, report.ErrUnavailable) {
		t.Errorf("Fetch: %v, want ErrUnavailable", err)
	}
	if got := len(h.srv.Requests()); got != 0 {
		t.Errorf("upstream requests = %d, want 0", got)
	}
}

// waitForWaiters waits until n callers wait on the session's shared fetch.
func waitForWaiters(t *testing.T, c *fetcher.Client, id string, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d callers to wait on %s", n, id), func() bool { return fetcher.Waiters(c, id) >= n })
}

// longBudget gives fetches a budget no test reaches: a held request ends
// when the test releases it, never by timing out first.
func longBudget(c *fetcher.Config) { c.Timeout, c.ResponseHeaderTimeout = time.Minute, time.Minute }
