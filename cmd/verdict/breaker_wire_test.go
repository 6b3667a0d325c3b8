package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/internal/syncbuf"
)

// TestBreakerDefaultsAreTheFetchers: the configuration's defaults are the
// fetcher's own, so the documented defaults hold either way.
func TestBreakerDefaultsAreTheFetchers(t *testing.T) {
	want := config.BreakerConfig{Failures: fetcher.DefaultBreakerFailures, Ratio: fetcher.DefaultBreakerRatio,
		Window: fetcher.DefaultBreakerWindow, Cooldown: fetcher.DefaultBreakerCooldown, Probes: fetcher.DefaultBreakerProbes}
	if got := config.DefaultBreaker(); got != want {
		t.Fatalf("config.DefaultBreaker() = %+v, fetcher's defaults are %+v", got, want)
	}
}

// TestWiredBreakerUsesTheConfiguration: the Roundtable client newApp wires
// opens after the configured number of failing sessions against a real
// Roundtable that answers 500, and then fails fast without calling it.
func TestWiredBreakerUsesTheConfiguration(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		opens int // failing sessions after which it is open
	}{
		{"configured: two sessions", map[string]string{"ROUNDTABLE_BREAKER_FAILURES": "2", "ROUNDTABLE_BREAKER_RATIO": "1"}, 2},
		{"default: five sessions", nil, fetcher.DefaultBreakerFailures},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			rt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				http.Error(w, `{"error":"down"}`, http.StatusInternalServerError)
			}))
			defer rt.Close()
			env := map[string]string{
				"VERDICT_DATABASE_URL":        filepath.Join(t.TempDir(), "verdict.db"),
				"VERDICT_LISTEN_ADDR":         "127.0.0.1:0",
				"VERDICT_RULES_DIR":           "../../api/testdata/rules",
				"VERDICT_API_KEYS":            "t:decide+admin:" + testKey,
				"VERDICT_RELOAD_WATCH":        "false",
				"ROUNDTABLE_BASE_URL":         rt.URL,
				"ROUNDTABLE_API_KEY":          "sk-test-0123456789",
				"ROUNDTABLE_BREAKER_WINDOW":   "1m", // the test's fetches all fall in it
				"ROUNDTABLE_BREAKER_COOLDOWN": "1h",
			}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg := testConfigFrom(t, env)
			a, err := newApp(cfg, newLogger(cfg.Log, &syncbuf.Buffer{}, false))
			if err != nil {
				t.Fatalf("newApp: %v", err)
			}
			defer a.close()
			ctx := context.Background()
			for i := 1; i <= tc.opens; i++ {
				if st := a.client.BreakerState(); st != "closed" {
					t.Fatalf("breaker %s after %d failing sessions, want closed until %d", st, i-1, tc.opens)
				}
				if _, err := a.client.Fetch(ctx, fmt.Sprintf("sess-%d", i)); err == nil {
					t.Fatalf("fetch of session %d succeeded against a Roundtable answering 500", i)
				}
			}
			if st := a.client.BreakerState(); st != "open" {
				t.Fatalf("breaker %s after %d failing sessions, want open", st, tc.opens)
			}
			before := calls.Load()
			if _, err := a.client.Fetch(ctx, "sess-next"); err == nil {
				t.Fatal("fetch through the open breaker succeeded")
			}
			if n := calls.Load(); n != before {
				t.Fatalf("the open breaker let %d requests through to Roundtable", n-before)
			}
		})
	}
}
