package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
)

// TestUpstreamFaults drives each Roundtable fault through the whole service:
// the caller still gets a 200 verdict, the default policy's on_error outcome
// (review, where its default is allow), reason on_error, and the
// report_status that names the fault.
func TestUpstreamFaults(t *testing.T) {
	cases := []struct {
		name   string
		fault  roundtabletest.Fault
		status string
	}{
		{"404", roundtabletest.Fault{Status: 404}, "not_found"},
		{"401", roundtabletest.Fault{Status: 401}, "unauthorized"},
		{"403", roundtabletest.Fault{Status: 403}, "unauthorized"},
		{"429", roundtabletest.Fault{Status: 429}, "rate_limited"},
		{"429 with Retry-After past the budget", roundtabletest.Fault{Status: 429, RetryAfter: "30"}, "rate_limited"},
		{"500", roundtabletest.Fault{Status: 500}, "unavailable"},
		{"502", roundtabletest.Fault{Status: 502}, "unavailable"},
		{"503", roundtabletest.Fault{Status: 503}, "unavailable"},
		{"connection reset", roundtabletest.Fault{Reset: true}, "unavailable"},
		{"malformed JSON", roundtabletest.Fault{Malformed: true}, "invalid"},
		{"truncated body", roundtabletest.Fault{Truncated: true}, "unavailable"},
		{"oversized body", roundtabletest.Fault{OversizedBytes: 4 << 20}, "invalid"},
		{"slow drip past the budget", roundtabletest.Fault{DripInterval: 100 * time.Millisecond}, "unavailable"},
		{"latency past the budget", roundtabletest.Fault{Latency: 3 * time.Second}, "unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", timeout: 500 * time.Millisecond})
			h.sim.SetFault("t-allow", tc.fault)
			d := h.decide(`{"session_id":"t-allow"}`).decision(t)
			if d.ReportStatus != tc.status || d.Outcome != "review" || d.Reason != "on_error" || d.Policy.Name != "checkout" {
				t.Fatalf("got %s/%s by %s with report_status %s; want review/on_error by checkout with %s",
					d.Outcome, d.Reason, d.Policy.Name, d.ReportStatus, tc.status)
			}
			if d.RiskScore != nil || len(d.FiredRules) != 0 {
				t.Fatalf("a verdict without a report shows a score or rules: %+v", d)
			}
			if strings.Contains(h.logs.String(), simKey) {
				t.Fatal("the Roundtable key appears in the logs")
			}
		})
	}

	t.Run("a transient fault that clears: the retry gets the report", func(t *testing.T) {
		h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports"})
		h.sim.SetFault("t-deny", roundtabletest.Fault{Status: 503, Times: 1})
		d := h.decide(`{"session_id":"t-deny"}`).decision(t)
		if d.ReportStatus != "ok" || d.Outcome != "deny" {
			t.Fatalf("got %s with %s", d.Outcome, d.ReportStatus)
		}
	})

	t.Run("on_error follows the policy the tags would have chosen only when the report is had", func(t *testing.T) {
		// t-mobile is tagged mobile-app (on_error deny), but a failed fetch has no
		// tags: the default policy decides, with its own on_error.
		h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports"})
		h.sim.SetFault("t-mobile", roundtabletest.Fault{Status: 500})
		d := h.decide(`{"session_id":"t-mobile"}`).decision(t)
		if d.Policy.Name != "checkout" || d.Outcome != "review" || d.ReportStatus != "unavailable" {
			t.Fatalf("got %s by %s with %s", d.Outcome, d.Policy.Name, d.ReportStatus)
		}
	})

	t.Run("an open breaker still answers, fast, with unavailable", func(t *testing.T) {
		h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports"})
		h.sim.SetFault(roundtabletest.AllSessions, roundtabletest.Fault{Status: 503})
		// An outage: every session fails; five distinct ones open the breaker.
		for i := 0; i < fetcher.DefaultBreakerFailures; i++ {
			if d := h.decide(fmt.Sprintf(`{"session_id":"outage-%d"}`, i)).decision(t); d.ReportStatus != "unavailable" {
				t.Fatalf("call %d: %s", i, d.ReportStatus)
			}
		}
		metrics := string(h.do(req{method: "GET", path: "/metrics"}).body)
		if !strings.Contains(metrics, `verdict_upstream_breaker_state{state="open"} 1`) {
			t.Fatalf("breaker not open in metrics")
		}
		h.sim.ClearFaults()
		if d := h.decide(`{"session_id":"t-allow"}`).decision(t); d.ReportStatus != "unavailable" {
			t.Fatalf("open breaker let a request through: %s", d.ReportStatus)
		}
	})

	t.Run("one session failing a hundred times fails no other", func(t *testing.T) {
		// Issue 10: two decisions of one session whose report answered 500
		// opened the breaker, and a healthy session was then decided as
		// unavailable for 10s.
		h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports"})
		h.sim.SetFault("t-deny", roundtabletest.Fault{Status: 500})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for h.sim.RequestCount("t-deny") < 100 && !t.Failed() {
					if d := h.decide(`{"session_id":"t-deny"}`).decision(t); d.ReportStatus != "unavailable" || d.Reason != "on_error" {
						t.Errorf("the failing session: %s/%s with %s", d.Outcome, d.Reason, d.ReportStatus)
					}
				}
			})
		}
		wg.Wait()
		d := h.decide(`{"session_id":"t-allow"}`).decision(t)
		if d.ReportStatus != "ok" || d.Outcome != "allow" {
			t.Fatalf("a healthy session after %d failed fetches of another: %s with report_status %s, want allow with ok",
				h.sim.RequestCount("t-deny"), d.Outcome, d.ReportStatus)
		}
		metrics := string(h.do(req{method: "GET", path: "/metrics"}).body)
		if !strings.Contains(metrics, `verdict_upstream_breaker_state{state="closed"} 1`) {
			t.Error("breaker not closed in metrics")
		}
	})
}
