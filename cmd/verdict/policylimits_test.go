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
	if _, err := reload.LoadDirWith("../../rules", policyLimits(config.PolicyLimitsConfig{})); err != nil {
		t.Fatalf("shipped rules under the default limits: %v", err)
	}
	_, err := reload.LoadDirWith("../../rules", policyLimits(config.PolicyLimitsConfig{Cost: 10}))
	if err == nil || !strings.Contains(err.Error(), "the limit is 10") {
		t.Fatalf("shipped rules under cost 10: %v, want a cost error naming the limit", err)
	}
}
