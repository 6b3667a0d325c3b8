package decision

import (
	"encoding/json"
	"time"

	"github.com/verdicthq/verdict/report"
)

// Request is one decision to make.
type Request struct {
	// ID is the decision id; "" gets a new UUIDv7 (audit.NewID).
	ID string
	// SessionID is the session whose report is fetched when Report is nil.
	SessionID string
	// Report is a report the caller already has (evaluate, eval, replay);
	// nil fetches SessionID's report through the Pipeline's Fetcher.
	Report *report.Report
	// Tags choose the policies; nil takes the report's tags (none when the
	// report could not be had, so the default policy decides).
	Tags []string
	// Context is the caller's context as rules read it; nil when absent.
	Context map[string]any
	// RawContext is the context as the caller sent it, kept in the trace.
	RawContext json.RawMessage
	// Now is the decision's time: now() in expressions and the decided_at
	// of the result (the request's time in serve, the stored decided_at in
	// replay). Zero takes the clock at the start of Decide, truncated to the
	// microsecond the decision log keeps.
	Now time.Time
	// Received is when the request arrived, with its monotonic reading, so
	// Timings.Total covers the caller's whole wait; zero counts from the
	// start of Decide.
	Received time.Time
	// NoShadow skips the shadow policy (dry runs and replay answer with the
	// live policy only).
	NoShadow bool
	// LenientContext decides a context the live policy refuses with on_error
	// instead of returning the *engine.ContextError (replay: the stored
	// caller was answered once, under the policy of the day).
	LenientContext bool
	// Memory, when set, is what this decision reads from lists and counters
	// instead of the Pipeline's (replay: what the stored decision read).
	Memory Memory
}
