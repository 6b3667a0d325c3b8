package fetcher_test

import (
	"context"
	"errors"
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
	h := newHarness(t, nil)
	// The latency holds the one request open while the others pile up.
	h.srv.SetFault("sess-full", roundtabletest.Fault{Latency: 100 * time.Millisecond})
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
	h := newHarness(t, func(c *fetcher.Config) { c.MaxAttempts = 1 })
	h.srv.SetFault("sess-full", roundtabletest.Fault{Latency: 100 * time.Millisecond, Status: 503, Times: 1})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := h.client.Fetch(context.Background(), "sess-full"); !errors.Is(err, report.ErrUnavailable) {
				t.Errorf("Fetch: %v, want ErrUnavailable", err)
			}
		})
	}
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
	h := newHarness(t, nil)
	h.srv.SetFault("sess-full", roundtabletest.Fault{Latency: 200 * time.Millisecond})

	leader := make(chan error, 1)
	go func() {
		_, err := h.client.Fetch(context.Background(), "sess-full")
		leader <- err
	}()
	for h.srv.RequestCount("sess-full") == 0 { // wait until the fetch is under way
		time.Sleep(time.Millisecond)
	}
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
		t.Fatalf("the cancelled caller waited for the fetch (leader finished first: %v)", err)
	}
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
	h := newHarness(t, nil)
	h.srv.SetFault("sess-full", roundtabletest.Fault{Latency: 150 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	leader := make(chan error, 1)
	go func() {
		_, err := h.client.Fetch(ctx, "sess-full")
		leader <- err
	}()
	for h.srv.RequestCount("sess-full") == 0 {
		time.Sleep(time.Millisecond)
	}
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
	h := newHarness(t, nil)
	h.srv.SetFault("sess-full", roundtabletest.Fault{Latency: 300 * time.Millisecond, Times: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.client.Fetch(ctx, "sess-full")
		done <- err
	}()
	for h.srv.RequestCount("sess-full") == 0 {
		time.Sleep(time.Millisecond)
	}
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
	for deadline := time.Now().Add(5 * time.Second); fetcher.Waiters(c, id) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d callers wait on %s, want %d", fetcher.Waiters(c, id), id, n)
		}
		time.Sleep(time.Millisecond)
	}
}
