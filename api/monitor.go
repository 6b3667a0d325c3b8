package api

import (
	"github.com/verdicthq/verdict/engine"
)

// monitorOutcome is what every caller gets in monitor-only mode. The answer
// says so with two additive fields of DecisionResponse: "monitor_only": true
// and "would_be_outcome", what the policy decided.
const monitorOutcome = engine.Allow
