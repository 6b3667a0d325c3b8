package main

import (
	"strings"
	"testing"

	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/internal/reload"
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
