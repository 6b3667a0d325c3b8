package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/internal/reload"
	"github.com/verdicthq/verdict/internal/syncbuf"
)

// TestPolicyLimitsReachTheLoader: serve's policy_limits become the limits
// the reloader loads the rules folder under; the shipped rules load under
// the defaults and not under a cost limit of 10.
func TestPolicyLimitsReachTheLoader(t *testing.T) {
	if _, err := reload.LoadDirWith("../../rules", policyLimits(config.PolicyLimitsConfig{}, config.CountersConfig{})); err != nil {
		t.Fatalf("shipped rules under the default limits: %v", err)
	}
	_, err := reload.LoadDirWith("../../rules", policyLimits(config.PolicyLimitsConfig{Cost: 10}, config.CountersConfig{}))
	if err == nil || !strings.Contains(err.Error(), "the limit is 10") {
		t.Fatalf("shipped rules under cost 10: %v, want a cost error naming the limit", err)
	}
}

// TestCounterBudgetReachesTheLoader: serve's counters section becomes the
// budget the reloader loads under; the shipped rules' counters fit the
// default and not a budget that holds one key of one counter.
func TestCounterBudgetReachesTheLoader(t *testing.T) {
	_, err := reload.LoadDirWith("../../rules", policyLimits(config.PolicyLimitsConfig{}, config.CountersConfig{BudgetBytes: 16*100 + 112, MaxEventsPerKey: 100}))
	if err == nil || !strings.Contains(err.Error(), "does not fit the counters' memory budget") || !strings.Contains(err.Error(), "counter \"") {
		t.Fatalf("shipped rules under a budget of one key: %v, want a refusal naming a counter", err)
	}
}

// TestServeCounterBudget: serve's counters configuration reaches both the
// reloader (a rules folder whose counters cannot fit the budget does not
// start, the counter named) and the counters themselves (their budget and
// per-key cap are the configured ones).
func TestServeCounterBudget(t *testing.T) {
	env := func(budget, perKey string) map[string]string {
		return map[string]string{
			"VERDICT_DATABASE_URL":               filepath.Join(t.TempDir(), "verdict.db"),
			"VERDICT_LISTEN_ADDR":                "127.0.0.1:0",
			"VERDICT_RULES_DIR":                  "../../rules",
			"VERDICT_DEMO_REPORTS_DIR":           "../../testdata/reports",
			"VERDICT_RELOAD_WATCH":               "false",
			"VERDICT_COUNTER_BUDGET_BYTES":       budget,
			"VERDICT_COUNTER_MAX_EVENTS_PER_KEY": perKey,
		}
	}
	t.Run("too small for the shipped counters", func(t *testing.T) {
		cfg := testConfigFrom(t, env("1712", "100")) // one key of one counter at 100 events
		a, err := newApp(cfg, newLogger(cfg.Log, &syncbuf.Buffer{}, false))
		if err == nil {
			a.close()
			t.Fatal("serve started with counters over the budget")
		}
		if !strings.Contains(err.Error(), `counter "user_denials_7d" does not fit the counters' memory budget`) {
			t.Fatalf("start: %v, want the refusal naming user_denials_7d", err)
		}
	})
	t.Run("configured", func(t *testing.T) {
		cfg := testConfigFrom(t, env("67108864", "2000"))
		a, err := newApp(cfg, newLogger(cfg.Log, &syncbuf.Buffer{}, false))
		if err != nil {
			t.Fatalf("newApp: %v", err)
		}
		defer a.close()
		if got := a.memory.Counters.Config(); got.Budget != 64<<20 || got.MaxEventsPerKey != 2000 {
			t.Fatalf("counters configured with budget %d, cap %d; want 64 MiB, 2000", got.Budget, got.MaxEventsPerKey)
		}
	})
}
