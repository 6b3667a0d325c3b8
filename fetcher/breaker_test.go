package fetcher_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/report"
)

// breakerConfig opens the breaker once 3 distinct sessions fail (and make at
// least half the outcomes) within 30s, for 10s of the fake clock.
func breakerConfig(c *fetcher.Config) {
	c.MaxAttempts = 1
	c.BreakerFailures = 3
	c.BreakerWindow = 30 * time.Second
	c.BreakerCooldown = 10 * time.Second
	c.CacheTTL = -1
}

// outage fails every session and fetches n distinct ones.
func (h *harness) outage(t *testing.T, n int) {
	t.Helper()
	h.srv.SetFault(roundtabletest.AllSessions, roundtabletest.Fault{Status: 503})
	for i := range n {
		if _, _, err := h.fetch(fmt.Sprintf("outage-%d", i)); !errors.Is(err, report.ErrUnavailable) {
			t.Fatalf("Fetch during the outage: %v, want ErrUnavailable", err)
		}
	}
}

// TestBreakerOpensFailsFastAndRecovers walks the whole cycle: an outage
// (every session failing) opens it, it fails fast without an upstream
// request, after the cool-down one probe goes through and closes it.
func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	h := newHarness(t, breakerConfig)
	h.outage(t, 2)
	if s := h.client.BreakerState(); s != "closed" {
		t.Fatalf("breaker %s after 2 failing sessions, want closed (3 open it)", s)
	}
	h.outage(t, 3) // outage-0 and -1 again, and outage-2
	if s := h.client.BreakerState(); s != "open" {
		t.Fatalf("breaker %s after 3 failing sessions, want open", s)
	}
	// Open: fail fast, no request, for any session.
	_, _, err := h.fetch("sess-old")
	if !errors.Is(err, report.ErrUnavailable) || !strings.Contains(err.Error(), "circuit breaker open") {
		t.Fatalf("Fetch while open: %v, want a fail-fast ErrUnavailable", err)
	}
	if n := len(h.srv.Requests()); n != 5 {
		t.Errorf("upstream requests = %d, want 5 (none while open)", n)
	}

	// Roundtable is back, but the cool-down has not passed: still failing fast.
	h.srv.ClearFaults()
	h.clock.Advance(10*time.Second - time.Nanosecond)
	if _, _, err := h.fetch("sess-full"); !errors.Is(err, report.ErrUnavailable) {
		t.Fatalf("Fetch a nanosecond before the cool-down ends: %v, want ErrUnavailable", err)
	}
	// After it, the probe closes the breaker.
	h.clock.Advance(time.Nanosecond)
	if s := h.client.BreakerState(); s != "half-open" {
		t.Errorf("breaker %s after the cool-down, want half-open", s)
	}
	if _, _, err := h.fetch("sess-full"); err != nil {
		t.Fatalf("probe fetch: %v", err)
	}
	if s := h.client.BreakerState(); s != "closed" {
		t.Errorf("breaker %s after a good probe, want closed", s)
	}
	if n := len(h.srv.Requests()); n != 6 {
		t.Errorf("upstream requests = %d, want 6 (5 failures and the probe)", n)
	}
	if got, want := h.obs.breakerStates(), []string{"open", "half-open", "closed"}; !slices.Equal(got, want) {
		t.Errorf("Observer.BreakerState calls = %v, want %v", got, want)
	}
	if !strings.Contains(h.logs.String(), "circuit breaker changed state") {
		t.Error("breaker changes are not logged")
	}
}

// TestBreakerFailedProbeReopens: a probe that fails opens it again, for a
// whole new cool-down.
func TestBreakerFailedProbeReopens(t *testing.T) {
	h := newHarness(t, breakerConfig)
	h.outage(t, 3)
	h.clock.Advance(10 * time.Second)
	if _, _, err := h.fetch("sess-full"); !errors.Is(err, report.ErrUnavailable) {
		t.Fatalf("probe: %v", err)
	}
	if s := h.client.BreakerState(); s != "open" {
		t.Errorf("breaker %s after a failed probe, want open", s)
	}
	h.clock.Advance(5 * time.Second)
	if s := h.client.BreakerState(); s != "open" {
		t.Errorf("breaker %s 5s into the new cool-down, want open", s)
	}
	if n := len(h.srv.Requests()); n != 4 {
		t.Errorf("upstream requests = %d, want 4 (3 failures and 1 probe)", n)
	}
}

// TestBreakerOneSessionFailing (issue 10): however often one session's report
// fails, the breaker stays closed and other sessions are fetched.
func TestBreakerOneSessionFailing(t *testing.T) {
	for _, attempts := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d attempts per fetch", attempts), func(t *testing.T) {
			h := newHarness(t, func(c *fetcher.Config) {
				breakerConfig(c)
				c.MaxAttempts = attempts
				c.RetryBaseDelay, c.RetryMaxDelay = time.Millisecond, 2*time.Millisecond
				c.BreakerFailures = fetcher.DefaultBreakerFailures
			})
			h.srv.SetFault("sess-broken", roundtabletest.Fault{Status: 500})
			for i := range 100 {
				if _, _, err := h.fetch("sess-broken"); !errors.Is(err, report.ErrUnavailable) || strings.Contains(err.Error(), "circuit breaker") {
					t.Fatalf("fetch %d of the failing session: %v, want a 500 from upstream", i, err)
				}
			}
			if got := h.srv.RequestCount("sess-broken"); got != 100*attempts {
				t.Errorf("upstream requests for the failing session = %d, want %d (none failed fast)", got, 100*attempts)
			}
			rep, _, err := h.fetch("sess-full")
			if err != nil || rep.SessionID != "sess-full" {
				t.Fatalf("a healthy session after 100 failures of another: %v", err)
			}
			if s := h.client.BreakerState(); s != "closed" {
				t.Errorf("breaker %s, want closed", s)
			}
		})
	}
}

// TestBreakerRule: which mixes of failing sessions and successes open it.
func TestBreakerRule(t *testing.T) {
	tests := []struct {
		name  string
		steps string // f:ID a failing fetch of ID, s a success, +D the clock moves on D
		want  string
	}{
		{"three failing sessions", "f:a f:b f:c", "open"},
		{"one session, many times", "f:a f:a f:a f:a f:a f:a", "closed"},
		{"two sessions, many times", "f:a f:b f:a f:b f:a f:b", "closed"},
		{"failing sessions among more successes", "s s s s f:a f:b f:c", "closed"},
		{"failing sessions as half the outcomes", "s s s f:a f:b f:c", "open"},
		{"successes gone from the window", "s s s s s s +33s f:a f:b f:c", "open"},
		{"successes from the last slice of the window", "s s s s +29s f:a f:b f:c", "closed"},
		{"a failure gone from the window", "f:a f:b +31s f:c", "closed"},
		{"a session failing again stays in the window", "f:a f:b +20s f:a +20s f:c", "closed"},
		{"a session failing again, the others still in", "f:a +20s f:b f:a +5s f:c", "open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, breakerConfig)
			for _, step := range strings.Fields(tt.steps) {
				switch {
				case step == "s":
					if _, _, err := h.fetch("sess-full"); err != nil {
						t.Fatalf("success step: %v", err)
					}
				case strings.HasPrefix(step, "f:"):
					id := "fail-" + step[2:]
					h.srv.SetFault(id, roundtabletest.Fault{Status: 502})
					if _, _, err := h.fetch(id); !errors.Is(err, report.ErrUnavailable) {
						t.Fatalf("failure step %s: %v", step, err)
					}
				case strings.HasPrefix(step, "+"):
					d, err := time.ParseDuration(step[1:])
					if err != nil {
						t.Fatal(err)
					}
					h.clock.Advance(d)
				}
			}
			if s := h.client.BreakerState(); s != tt.want {
				t.Errorf("breaker %s after %q, want %s", s, tt.steps, tt.want)
			}
		})
	}
}

// TestBreakerIgnores: answers that say Roundtable is up do not open it,
// however many sessions get them.
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
			for i := range 6 {
				if _, _, err := h.fetch(fmt.Sprintf("sess-%d", i)); !errors.Is(err, tt.want) {
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

// TestBreakerConfigErrors: a ratio outside [0, 1] is refused.
func TestBreakerConfigErrors(t *testing.T) {
	for _, ratio := range []float64{-0.1, 1.5} {
		_, err := fetcher.New(fetcher.Config{BaseURL: "http://127.0.0.1:1", BreakerRatio: ratio})
		if err == nil || !strings.Contains(err.Error(), "BreakerRatio") {
			t.Errorf("ratio %v: %v, want an error naming BreakerRatio", ratio, err)
		}
	}
}
