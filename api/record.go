package api

import (
	"context"

	"github.com/verdicthq/verdict/decision"
)

// DecisionRecord is everything known about one decision of
// POST /v1/decisions, handed to the DecisionRecorder before the caller gets
// the answer: the pipeline's Result (the decision itself, from which the
// answer and the trace are derived) and what only the HTTP edge knows. The
// recorder must not modify it after Record returns.
type DecisionRecord struct {
	decision.Result

	RequestID      string // X-Request-Id of the HTTP request
	KeyID          string // id of the caller's API key (never the secret)
	IdempotencyKey string // the Idempotency-Key header, "" when absent
	RequestBody    []byte // the request body as received, for idempotency checks
	ResponseBody   []byte // the exact JSON answer the caller gets (for idempotent replays)
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
