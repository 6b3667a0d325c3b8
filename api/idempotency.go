package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderIdempotentReplay is set to "true" on an answer that repeats a
// decision already made for the same Idempotency-Key.
const HeaderIdempotentReplay = "Idempotent-Replayed"

// ErrIdempotencyConflict is returned (wrapped) by an IdempotencyStore or a
// DecisionRecorder when an Idempotency-Key was used before by the same
// caller with a different request body. The caller gets 409.
var ErrIdempotencyConflict = errors.New("the Idempotency-Key was used before with a different request")

// IdempotencyStore may be implemented by the DecisionRecorder. For a
// POST /v1/decisions that carries an Idempotency-Key, Lookup runs before
// anything is fetched: found=true returns the stored answer as is (same
// decision_id, header Idempotent-Replayed: true); an error wrapping
// ErrIdempotencyConflict is a 409; any other error is a 503
// decision_log_unavailable.
type IdempotencyStore interface {
	Lookup(ctx context.Context, keyID, idempotencyKey string, requestBody []byte) (answer []byte, found bool, err error)
}

// ReplayError is returned by DecisionRecorder.Record when, between Lookup
// and Record, a concurrent request with the same key and body recorded its
// decision first: the caller then gets Answer (that first decision) instead
// of the one just made, which is not recorded.
type ReplayError struct {
	Answer []byte
}

// Error implements error.
func (e *ReplayError) Error() string { return "decision already recorded for this Idempotency-Key" }

// replay writes a stored answer.
func replay(c echo.Context, answer []byte) error {
	c.Response().Header().Set(HeaderIdempotentReplay, "true")
	state(c).outcome = "replay"
	return c.JSONBlob(http.StatusOK, answer)
}

// lookupIdempotent asks the recorder, when it keeps idempotency keys,
// whether this request was answered before, within the request timeout
// counted from start (POST /v1/decisions bounds its waits itself).
func (s *Server) lookupIdempotent(c echo.Context, start time.Time, idemKey string, body []byte) (answer []byte, found bool, err error) {
	store, ok := s.recorder.(IdempotencyStore)
	if !ok || idemKey == "" {
		return nil, false, nil
	}
	ctx, cancel := context.WithDeadline(c.Request().Context(), start.Add(s.requestTimeout))
	defer cancel()
	answer, found, err = store.Lookup(ctx, keyID(c), idemKey, body)
	if err != nil {
		return nil, false, recordError(err)
	}
	return answer, found, nil
}

// recordError maps an error of the decision log to the API error the caller
// gets: 409 for a key conflict, else 503.
func recordError(err error) error {
	if errors.Is(err, ErrIdempotencyConflict) {
		return &Error{Status: http.StatusConflict, Code: CodeIdempotencyConflict,
			Message: "this Idempotency-Key was used before with a different request body", err: err}
	}
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeDecisionLogFailed,
		Message: "the decision log is unavailable; retry", err: fmt.Errorf("decision log: %w", err)}
}
