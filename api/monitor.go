package api

import (
	"github.com/verdicthq/verdict/engine"
)

// monitorOutcome is what every caller gets in monitor-only mode.
const monitorOutcome = engine.Allow

// monitorAnswer turns an encoded answer into its monitor-only form: the
// outcome the caller acts on is allow, and two additive fields say so —
// "monitor_only": true and "would_be_outcome", what the policy decided.
// out is the encoding of the answer with Outcome already set to allow.
func monitorAnswer(out []byte, wouldBe engine.Outcome) []byte {
	out = out[:len(out)-1] // the closing brace
	out = append(out, `,"monitor_only":true,"would_be_outcome":`...)
	out = appendString(out, string(wouldBe))
	return append(out, '}')
}
