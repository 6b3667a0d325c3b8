package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// DecisionRecord is everything known about one decision of
// POST /v1/decisions, handed to the DecisionRecorder before the caller gets
// the answer. The recorder must not modify it after Record returns.
type DecisionRecord struct {
	DecisionID     string    // UUIDv7, also returned to the caller
	DecidedAt      time.Time // UTC, also returned as decided_at
	RequestID      string    // X-Request-Id of the HTTP request
	KeyID          string    // id of the caller's API key (never the secret)
	IdempotencyKey string    // the Idempotency-Key header, "" when absent
	RequestBody    []byte    // the request body as received, for idempotency checks

	SessionID string          // the validated session id
	Context   json.RawMessage // the caller's context as sent; nil when absent or null

	Report       *report.Report  // decoded report; nil when the fetch failed
	RawReport    json.RawMessage // the report exactly as received (Report.Raw); nil when the fetch failed
	ReportStatus string          // report.Status(fetch error): ok, not_found, unavailable, ...
	FetchError   string          // the fetch error's text, "" when ok; carries no secret

	Live         engine.Decision  // the decision returned to the caller
	Shadow       *engine.Decision // the shadow policy's decision; nil when there is no shadow policy
	ShadowError  string           // why the shadow policy was not evaluated (e.g. its context check failed)
	SetLoadedAt  time.Time        // when the policy set that decided was compiled
	MonitorOnly  bool             // the service runs monitor-only: the caller got allow, Live is what the policy decided
	Timings      Timings
	ResponseBody []byte // the exact JSON answer the caller gets (for idempotent replays)
}

// Timings are the durations of a decision's stages.
type Timings struct {
	Fetch    time.Duration // the report fetch (cache hits included)
	Evaluate time.Duration // live and shadow evaluation
	Total    time.Duration // from the handler's start to the record being built
}

// DecisionRecorder stores decision records durably. Record is called once per
// decision, on the request's goroutine, before the answer is written; when it
// returns an error the caller gets a 503 decision_log_unavailable error, never
// a verdict without a trace — except for a *ReplayError (the caller gets the
// stored answer) and an error wrapping ErrIdempotencyConflict (409). A
// recorder that keeps Idempotency-Keys also implements IdempotencyStore. A nil
// DecisionRecorder in Options means no log.
type DecisionRecorder interface {
	Record(ctx context.Context, rec *DecisionRecord) error
}

// RecorderFunc adapts a function to DecisionRecorder.
type RecorderFunc func(ctx context.Context, rec *DecisionRecord) error

// Record calls f.
func (f RecorderFunc) Record(ctx context.Context, rec *DecisionRecord) error { return f(ctx, rec) }

// ReadinessCheck is one condition GET /readyz checks, e.g. "the decision log
// answers". Check returns nil when ready; it gets a context with a short
// deadline.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}
