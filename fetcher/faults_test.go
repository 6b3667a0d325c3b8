package fetcher_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/report"
)

// budgetMargin bounds how far past the fetch budget a fetch may end: time to
// notice the deadline and unwind. It is a correctness bound (the budget
// holds), not a speed figure, and generous for a loaded shared machine with
// -race: the faults it is checked against (an hour of latency, a drip of
// tens of seconds) would overrun it by far if the budget did not hold.
const budgetMargin = 2 * time.Second

// TestFetchFaults injects each fault the simulator knows and checks the typed
// error, the number of upstream attempts, the budget, the observer's counts,
// and that the key is in neither the error nor the logs.
func TestFetchFaults(t *testing.T) {
	const id = "sess-full"
	tests := []struct {
		name      string
		session   string // default id
		fault     *roundtabletest.Fault
		cfg       func(*fetcher.Config)
		setup     func(*roundtabletest.Server)
		wantErr   error // nil: success
		wantTries int
		wantInErr string
		wantInLog string
	}{
		{name: "ok", wantTries: 1},
		{name: "latency within budget", fault: &roundtabletest.Fault{Latency: 50 * time.Millisecond}, wantTries: 1},
		{name: "404", session: "sess-nobody", wantErr: report.ErrNotFound, wantTries: 1, wantInErr: "status 404"},
		{name: "401", fault: &roundtabletest.Fault{Status: 401}, wantErr: report.ErrUnauthorized, wantTries: 1,
			wantInLog: `"level":"error"`},
		{name: "403", fault: &roundtabletest.Fault{Status: 403}, wantErr: report.ErrUnauthorized, wantTries: 1,
			wantInLog: "check ROUNDTABLE_API_KEY"},
		{name: "wrong key", cfg: func(c *fetcher.Config) { c.APIKey = "sk-wrong-key-0000" },
			wantErr: report.ErrUnauthorized, wantTries: 1},
		{name: "429 without Retry-After", fault: &roundtabletest.Fault{Status: 429},
			wantErr: report.ErrRateLimited, wantTries: 3, wantInErr: "attempts exhausted"},
		{name: "429 Retry-After past the budget", fault: &roundtabletest.Fault{Status: 429, RetryAfter: "5"},
			wantErr: report.ErrRateLimited, wantTries: 1, wantInErr: "Retry-After 5s does not fit"},
		{name: "429 Retry-After date past the budget",
			fault:   &roundtabletest.Fault{Status: 429, RetryAfter: time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)},
			wantErr: report.ErrRateLimited, wantTries: 1, wantInErr: "does not fit"},
		{name: "429 once with Retry-After 0", fault: &roundtabletest.Fault{Status: 429, RetryAfter: "0", Times: 1}, wantTries: 2},
		{name: "500", fault: &roundtabletest.Fault{Status: 500}, wantErr: report.ErrUnavailable, wantTries: 3, wantInErr: "status 500"},
		{name: "502", fault: &roundtabletest.Fault{Status: 502}, wantErr: report.ErrUnavailable, wantTries: 3},
		{name: "503", fault: &roundtabletest.Fault{Status: 503}, wantErr: report.ErrUnavailable, wantTries: 3},
		{name: "503 Retry-After past the budget", fault: &roundtabletest.Fault{Status: 503, RetryAfter: "30"},
			wantErr: report.ErrUnavailable, wantTries: 1},
		{name: "503 twice then 200", fault: &roundtabletest.Fault{Status: 503, Times: 2}, wantTries: 3},
		{name: "503 body echoes the key", fault: &roundtabletest.Fault{Status: 503, Body: `{"error":"rejected Authorization: Bearer ` + testKey + `"}`},
			wantErr: report.ErrUnavailable, wantTries: 3, wantInErr: "[redacted]"},
		{name: "400 not retried", fault: &roundtabletest.Fault{Status: 400}, wantErr: report.ErrUnavailable, wantTries: 1,
			wantInErr: "unexpected status 400"},
		{name: "410 not retried", fault: &roundtabletest.Fault{Status: 410}, wantErr: report.ErrUnavailable, wantTries: 1},
		{name: "302 not followed", fault: &roundtabletest.Fault{Status: 302, Body: "{}"}, wantErr: report.ErrUnavailable, wantTries: 1},
		{name: "malformed JSON", fault: &roundtabletest.Fault{Malformed: true}, wantErr: report.ErrInvalid, wantTries: 1},
		{name: "truncated body", fault: &roundtabletest.Fault{Truncated: true}, wantErr: report.ErrUnavailable, wantTries: 3,
			wantInErr: "read body"},
		{name: "truncated once", fault: &roundtabletest.Fault{Truncated: true, Times: 1}, wantTries: 2},
		{name: "oversized body", fault: &roundtabletest.Fault{OversizedBytes: 4 << 20}, cfg: func(c *fetcher.Config) { c.MaxBodyBytes = 64 << 10 },
			wantErr: report.ErrInvalid, wantTries: 1, wantInErr: "over the 65536-byte limit"},
		{name: "slow drip", fault: &roundtabletest.Fault{DripInterval: 50 * time.Millisecond},
			wantErr: report.ErrUnavailable, wantTries: 1, wantInErr: "budget exhausted"},
		{name: "latency past the budget", fault: &roundtabletest.Fault{Latency: time.Hour},
			wantErr: report.ErrUnavailable, wantTries: 1, wantInErr: "budget exhausted"},
		{name: "slow headers past the header timeout", fault: &roundtabletest.Fault{Latency: 150 * time.Millisecond},
			cfg:     func(c *fetcher.Config) { c.ResponseHeaderTimeout = 100 * time.Millisecond; c.MaxAttempts = 2 },
			wantErr: report.ErrUnavailable, wantTries: 2, wantInErr: "timeout awaiting response headers"},
		{name: "connection reset", fault: &roundtabletest.Fault{Reset: true}, wantErr: report.ErrUnavailable, wantTries: 3},
		{name: "report for another session", setup: func(s *roundtabletest.Server) {
			b, _ := s.Report("sess-old")
			s.SetReport(id, b)
		}, wantErr: report.ErrInvalid, wantTries: 1, wantInErr: `"sess-old", not "sess-full"`},
		{name: "invalid report", setup: func(s *roundtabletest.Server) {
			s.SetReport(id, []byte(`{"session_id":"sess-full","risk_score":140}`))
		}, wantErr: report.ErrInvalid, wantTries: 1, wantInErr: "risk_score: 140 is outside 0..100"},
		{name: "retries off", fault: &roundtabletest.Fault{Status: 503}, cfg: func(c *fetcher.Config) { c.MaxAttempts = 1 },
			wantErr: report.ErrUnavailable, wantTries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.cfg)
			session := id
			if tt.session != "" {
				session = tt.session
			}
			if tt.fault != nil {
				h.srv.SetFault(session, *tt.fault)
			}
			if tt.setup != nil {
				tt.setup(h.srv)
			}
			rep, elapsed, err := h.fetch(session)

			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if rep.SessionID != session {
					t.Errorf("report for %q", rep.SessionID)
				}
			} else {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Fetch error = %v, want %v", err, tt.wantErr)
				}
				if rep != nil {
					t.Errorf("a report with an error")
				}
				if !strings.Contains(err.Error(), tt.wantInErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantInErr)
				}
			}
			if got := h.srv.RequestCount(session); got != tt.wantTries {
				t.Errorf("upstream attempts = %d, want %d", got, tt.wantTries)
			}
			if got := h.obs.upstream.Load(); got != int64(tt.wantTries) {
				t.Errorf("Observer.Upstream calls = %d, want %d", got, tt.wantTries)
			}
			if got := h.obs.retries.Load(); got != int64(tt.wantTries-1) {
				t.Errorf("Observer.Retry calls = %d, want %d", got, tt.wantTries-1)
			}
			if budget := h.cfg.Timeout; elapsed > budget+budgetMargin {
				t.Errorf("fetch took %s, past the %s budget", elapsed, budget)
			}
			logs := h.logs.String()
			if !strings.Contains(logs, tt.wantInLog) {
				t.Errorf("logs do not contain %q:\n%s", tt.wantInLog, logs)
			}
			if err != nil && strings.Contains(err.Error(), testKey) || strings.Contains(logs, testKey) || strings.Contains(logs, testKey[:12]) {
				t.Errorf("the API key leaked:\nerror: %v\nlogs: %s", err, logs)
			}
		})
	}
}

// TestRetryAfterHonoured checks that a Retry-After that fits the budget is
// waited out before the retry.
func TestRetryAfterHonoured(t *testing.T) {
	h := newHarness(t, func(c *fetcher.Config) { c.Timeout = 1500 * time.Millisecond })
	h.srv.SetFault("sess-full", roundtabletest.Fault{Status: 429, RetryAfter: "1", Times: 1})
	_, elapsed, err := h.fetch("sess-full")
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	reqs := h.srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("upstream attempts = %d, want 2", len(reqs))
	}
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < time.Second {
		t.Errorf("retried %s after a Retry-After of 1s", gap)
	}
	if elapsed > h.cfg.Timeout+budgetMargin {
		t.Errorf("fetch took %s, past the %s budget", elapsed, h.cfg.Timeout)
	}
}

// TestConnectionRefused checks an upstream that is not there at all.
func TestConnectionRefused(t *testing.T) {
	srv := startSim(t)
	url := srv.URL()
	_ = srv.Close()
	obs := &observer{}
	c, err := fetcher.New(fetcher.Config{BaseURL: url, APIKey: testKey, Timeout: 400 * time.Millisecond,
		RetryBaseDelay: 10 * time.Millisecond, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Fetch(t.Context(), "sess-full")
	if !errors.Is(err, report.ErrUnavailable) {
		t.Fatalf("Fetch error = %v, want ErrUnavailable", err)
	}
	if got := obs.upstream.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
	if elapsed := time.Since(start); elapsed > 400*time.Millisecond+budgetMargin {
		t.Errorf("fetch took %s, past the budget", elapsed)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("key in error %v", err)
	}
}
