package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/verdicthq/verdict/audit"
)

// AuditLog adapts an audit.Store to the API's decision-log seam: it is the
// DecisionRecorder (each decision becomes an audit.Trace, appended and
// committed before the answer is sent) and the IdempotencyStore (retries
// with a known Idempotency-Key get the stored answer, byte for byte).
type AuditLog struct {
	Store audit.Store
}

// NewAuditLog returns the recorder for a store.
func NewAuditLog(s audit.Store) *AuditLog { return &AuditLog{Store: s} }

// Record appends the decision's trace and returns once it is committed. A
// concurrent request that recorded the same caller key and Idempotency-Key
// first turns this one into a *ReplayError (same body) or an
// ErrIdempotencyConflict (another body).
func (l *AuditLog) Record(ctx context.Context, rec *DecisionRecord) error {
	t := TraceOf(rec)
	err := l.Store.Append(ctx, t)
	if err == nil {
		return nil
	}
	if !errors.Is(err, audit.ErrConflict) || rec.IdempotencyKey == "" {
		return fmt.Errorf("append trace %s: %w", rec.DecisionID, err)
	}
	prev, ferr := l.Store.FindIdempotent(ctx, rec.KeyID, rec.IdempotencyKey)
	if ferr != nil {
		return fmt.Errorf("append trace %s: %w; then read the trace stored under its Idempotency-Key: %w", rec.DecisionID, err, ferr)
	}
	answer, err := storedAnswer(prev, t.RequestHash)
	if err != nil {
		return err
	}
	return &ReplayError{Answer: answer}
}

// Lookup returns the answer stored for a caller key and Idempotency-Key,
// when the request body is the same; another body wraps
// ErrIdempotencyConflict.
func (l *AuditLog) Lookup(ctx context.Context, keyID, idempotencyKey string, requestBody []byte) ([]byte, bool, error) {
	prev, err := l.Store.FindIdempotent(ctx, keyID, idempotencyKey)
	if errors.Is(err, audit.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("look up Idempotency-Key: %w", err)
	}
	answer, err := storedAnswer(prev, audit.RequestHash(requestBody))
	if err != nil {
		return nil, false, err
	}
	return answer, true, nil
}

// storedAnswer is the answer of a stored trace for a retry whose body
// hashes to hash.
func storedAnswer(prev *audit.Trace, hash string) ([]byte, error) {
	if prev.RequestHash != hash {
		return nil, fmt.Errorf("decision %s: %w", prev.ID, ErrIdempotencyConflict)
	}
	if len(prev.Answer) == 0 {
		return nil, fmt.Errorf("decision %s was stored without its answer", prev.ID)
	}
	return prev.Answer, nil
}

// Ping checks that the log answers, for GET /readyz.
func (l *AuditLog) Ping(ctx context.Context) error { return l.Store.Ping(ctx) }

// TraceOf builds the trace of a decision record: the decision's own trace
// (decision.Result.Trace) and what the HTTP edge adds.
func TraceOf(rec *DecisionRecord) *audit.Trace {
	t := rec.Trace()
	t.KeyID = rec.KeyID
	t.IdempotencyKey = rec.IdempotencyKey
	t.Answer = rec.ResponseBody
	if rec.IdempotencyKey != "" {
		t.RequestHash = audit.RequestHash(rec.RequestBody)
	}
	return t
}
