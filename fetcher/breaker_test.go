package fetcher_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/report"
)

// breakerConfig opens the breaker after 3 failed attempts, for 200ms.
func breakerConfig(c *fetcher.Config) {
	c.MaxAttempts = 1
	c.BreakerFailures = 3
	c.BreakerCooldown = 200 * time.Millisecond
	c.CacheTTL = -1
}

// TestBreakerOpensFailsFastAndRecovers walks the whole cycle: failures open
// it, it fails fast without an upstream request, after the cool-down one
// probe goes through and closes it.
func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	h := newHarness(t, breakerConfig)
	h.srv.SetFault(roundtabletest.AllSessions, roundtabletest.Fault{Status: 503})
	for range 3 {
		if _, _, err := h.fetch("sess-full"); !errors.Is(err, report.ErrUnavailable) {
			t.Fatalf("Fetch: %v, want ErrUnavailable", err)
		}
	}
	if s := h.client.BreakerState(); s != "open" {
		t.Fatalf("breaker %s after 3 failures, want open", s)
	}
	// Open: fail fast, no request, for any session.
	_, elapsed, err := h.fetch("sess-old")
	if !errors.Is(err, report.ErrUnavailable) || !strings.Contains(err.Error(), "circuit breaker open") {
		t.Fatalf("Fetch while open: %v, want a fail-fast ErrUnavailable", err)
	}
	if n := len(h.srv.Requests()); n != 3 {
		t.Errorf("upstream requests = %d, want 3 (none while open)", n)
	}
	if elapsed > budgetMargin {
		t.Errorf("an open breaker took %s to fail", elapsed)
	}

	// After the cool-down, Roundtable is back: the probe closes the breaker.
	h.srv.ClearFaults()
	time.Sleep(250 * time.Millisecond)
	if _, _, err := h.fetch("sess-full"); err != nil {
		t.Fatalf("probe fetch: %v", err)
	}
	if s := h.client.BreakerState(); s != "closed" {
		t.Errorf("breaker %s after a good probe, want closed", s)
	}
	if got, want := h.obs.breakerStates(), []string{"open", "half-open", "closed"}; !slices.Equal(got, want) {
		t.Errorf("Observer.BreakerState calls = %v, want %v", got, want)
	}
	if !strings.Contains(h.logs.String(), "circuit breaker changed state") {
		t.Error("breaker changes are not logged")
	}
}

// TestBreakerFailedProbeReopens: a probe that fails opens it again.
func TestBreakerFailedProbeReopens(t *testing.T) {
	h := newHarness(t, breakerConfig)
	h.srv.SetFault(roundtabletest.AllSessions, roundtabletest.Fault{Status: 500})
	for range 3 {
		_, _, _ = h.fetch("sess-full")
	}
	time.Sleep(250 * time.Millisecond)
	if _, _, err := h.fetch("sess-full"); !errors.Is(err, report.ErrUnavailable) {
		t.Fatalf("probe: %v", err)
	}
	if s := h.client.BreakerState(); s != "open" {
		t.Errorf("breaker %s after a failed probe, want open", s)
	}
	if n := len(h.srv.Requests()); n != 4 {
		t.Errorf("upstream requests = %d, want 4 (3 failures and 1 probe)", n)
	}
}

// TestBreakerIgnores: answers that say Roundtable is up do not open it.
func TestBreakerIgnores(t *testing.T) {
	tests := []struct {
		name  string
		fault roundtabletest.Fault
		want  error
	}{
		{"404", roundtabletest.Fault{Status: 404}, report.ErrNotFound},
		{"401", roundtabletest.Fault{Status: 401}, report.ErrUnauthorized},
		{"429", roundtabletest.Fault{Status: 429}, report.ErrRateLimited},
		{"400", roundtabletest.Fault{Status: 400}, report.ErrUnavailable},
		{"invalid report", roundtabletest.Fault{Malformed: true}, report.ErrInvalid},
		{"oversized report", roundtabletest.Fault{OversizedBytes: 2 << 20}, report.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, breakerConfig)
			h.srv.SetFault(roundtabletest.AllSessions, tt.fault)
			for range 6 {
				if _, _, err := h.fetch("sess-full"); !errors.Is(err, tt.want) {
					t.Fatalf("Fetch: %v, want %v", err, tt.want)
				}
			}
			if s := h.client.BreakerState(); s != "closed" {
				t.Errorf("breaker %s, want closed", s)
			}
			if n := len(h.srv.Requests()); n != 6 {
				t.Errorf("upstream requests = %d, want 6", n)
			}
		})
	}
}

// TestBreakerSuccessResetsCount: failures must be consecutive.
func TestBreakerSuccessResetsCount(t *testing.T) {
	h := newHarness(t, breakerConfig)
	for range 3 {
		h.srv.SetFault("sess-full", roundtabletest.Fault{Status: 502, Times: 2})
		_, _, _ = h.fetch("sess-full")
		_, _, _ = h.fetch("sess-full")
		if _, _, err := h.fetch("sess-full"); err != nil {
			t.Fatal(err)
		}
	}
	if s := h.client.BreakerState(); s != "closed" {
		t.Errorf("breaker %s, want closed", s)
	}
}
