package fetcher_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/report"
)

func TestCacheHit(t *testing.T) {
	h := newHarness(t, nil)
	first, _, err := h.fetch("sess-full")
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := h.fetch("sess-full")
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("the second fetch did not return the cached report")
	}
	if got := h.srv.RequestCount("sess-full"); got != 1 {
		t.Errorf("upstream requests = %d, want 1", got)
	}
	if h.obs.hits.Load() != 1 || h.obs.misses.Load() != 1 {
		t.Errorf("cache hits/misses = %d/%d, want 1/1", h.obs.hits.Load(), h.obs.misses.Load())
	}
}

// TestCacheExpiry: the score moves during a live session; once the TTL has
// passed the client sees the new report.
func TestCacheExpiry(t *testing.T) {
	h := newHarness(t, func(c *fetcher.Config) { c.CacheTTL = 3 * time.Second })
	rep, _, err := h.fetch("sess-full")
	if err != nil {
		t.Fatal(err)
	}
	if rep.RiskScore != 75 {
		t.Fatalf("RiskScore = %d, want 75", rep.RiskScore)
	}
	h.srv.SetReport("sess-full", []byte(`{"session_id":"sess-full","risk_score":91}`))
	if rep, _, _ = h.fetch("sess-full"); rep.RiskScore != 75 {
		t.Errorf("within the TTL: RiskScore = %d, want the cached 75", rep.RiskScore)
	}
	h.clock.Advance(3*time.Second - time.Nanosecond)
	if rep, _, _ = h.fetch("sess-full"); rep.RiskScore != 75 {
		t.Errorf("a nanosecond before the TTL: RiskScore = %d, want the cached 75", rep.RiskScore)
	}
	h.clock.Advance(time.Nanosecond)
	if rep, _, _ = h.fetch("sess-full"); rep.RiskScore != 91 {
		t.Errorf("after the TTL: RiskScore = %d, want the new 91", rep.RiskScore)
	}
	if got := h.srv.RequestCount("sess-full"); got != 2 {
		t.Errorf("upstream requests = %d, want 2", got)
	}
}

func TestCacheDisabled(t *testing.T) {
	h := newHarness(t, func(c *fetcher.Config) { c.CacheTTL = -1 })
	for range 3 {
		if _, _, err := h.fetch("sess-old"); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.srv.RequestCount("sess-old"); got != 3 {
		t.Errorf("upstream requests = %d, want 3", got)
	}
}

// TestCacheSizeBound: the least recently used report is evicted first.
func TestCacheSizeBound(t *testing.T) {
	h := newHarness(t, func(c *fetcher.Config) { c.CacheSize = 2 })
	for _, id := range []string{"sess-full", "sess-old", "sess-full", "sess-future", "sess-full", "sess-old"} {
		if _, _, err := h.fetch(id); err != nil {
			t.Fatal(err)
		}
	}
	// sess-full: miss, hit, hit. sess-old: miss, then evicted by sess-future
	// (sess-full was used more recently), miss again.
	want := map[string]int{"sess-full": 1, "sess-old": 2, "sess-future": 1}
	for id, n := range want {
		if got := h.srv.RequestCount(id); got != n {
			t.Errorf("%s: upstream requests = %d, want %d", id, got, n)
		}
	}
}

// TestFailuresNotCached: an error is not kept; the next fetch asks again.
func TestFailuresNotCached(t *testing.T) {
	tests := []struct {
		name  string
		fault roundtabletest.Fault
		want  error
	}{
		{"503", roundtabletest.Fault{Status: 503, Times: 3}, report.ErrUnavailable},
		{"404", roundtabletest.Fault{Status: 404, Times: 1}, report.ErrNotFound},
		{"invalid", roundtabletest.Fault{Malformed: true, Times: 1}, report.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.srv.SetFault("sess-old", tt.fault)
			if _, _, err := h.fetch("sess-old"); !errors.Is(err, tt.want) {
				t.Fatalf("first fetch: %v, want %v", err, tt.want)
			}
			rep, _, err := h.fetch("sess-old")
			if err != nil || rep.SessionID != "sess-old" {
				t.Fatalf("second fetch: %v", err)
			}
			if got, want := h.srv.RequestCount("sess-old"), tt.fault.Times+1; got != want {
				t.Errorf("upstream requests = %d, want %d", got, want)
			}
		})
	}
}

func TestInvalidSessionIDNeverCached(t *testing.T) {
	h := newHarness(t, nil)
	for i := range 3 {
		if _, _, err := h.fetch(fmt.Sprintf("bad id %d", i)); !errors.Is(err, report.ErrInvalidSessionID) {
			t.Fatalf("Fetch: %v, want ErrInvalidSessionID", err)
		}
	}
	if h.obs.hits.Load()+h.obs.misses.Load() != 0 {
		t.Error("an invalid id reached the cache")
	}
}
