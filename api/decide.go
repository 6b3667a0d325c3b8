package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/report"
)

// HeaderIdempotencyKey is the optional header of POST /v1/decisions that
// makes retries return the first decision (handled by the decision log).
const HeaderIdempotencyKey = "Idempotency-Key"

// decideRequest is the body of POST /v1/decisions.
type decideRequest struct {
	SessionID string          `json:"session_id"`
	Context   json.RawMessage `json:"context"`
}

// decide answers POST /v1/decisions: validate, look up the Idempotency-Key,
// hand the request to the decision pipeline, record, answer. Once the
// request is valid and authorized it always ends in a verdict (the policy's
// on_error when the report cannot be had), unless the decision cannot be
// recorded (503).
func (s *Server) decide(c echo.Context) error {
	start := time.Now()
	idemKey := c.Request().Header.Get(HeaderIdempotencyKey)
	if err := validIdempotencyKey(idemKey); err != nil {
		return err
	}
	if _, err := requireMediaType(c, echo.MIMEApplicationJSON); err != nil {
		return err
	}
	body, err := readBody(c, s.bodyLimit)
	if err != nil {
		return err
	}
	sessionID, ctxMap, ctxRaw, err := s.decodeDecideRequest(body)
	if err != nil {
		return err
	}
	if answer, found, err := s.lookupIdempotent(c, start, idemKey, body); err != nil {
		return err
	} else if found {
		return replay(c, answer)
	}

	ctx := c.Request().Context()
	rec := DecisionRecord{
		RequestID:      requestID(c),
		KeyID:          keyID(c),
		IdempotencyKey: idemKey,
		RequestBody:    body,
	}
	rec.Result, err = s.pipeline.Decide(ctx, decision.Request{
		SessionID:  sessionID,
		Context:    ctxMap,
		RawContext: ctxRaw,
		Now:        start.UTC().Truncate(time.Microsecond), // what the log keeps, so a stored answer reads the same
		Received:   start,
	})
	if err != nil {
		return decideError(err)
	}
	if rec.ReportStatus != report.StatusOK {
		s.logReportMissing(c, &rec.Result)
	}

	resp := newDecisionResponse(&rec.Result)
	out, err := appendDecision(make([]byte, 0, 1024), &resp)
	if err != nil {
		return fmt.Errorf("encode decision: %w", err)
	}
	rec.ResponseBody = out

	// After the decision: the steps that act on it hang here, on rec.Result,
	// never changing it — the durable trace first (below), then (later
	// issues) counters, a review for outcome review and the webhook outbox,
	// written with the trace where they must survive a crash.
	if s.recorder != nil {
		if err := s.record(ctx, start, rec); err != nil {
			var re *ReplayError
			if errors.As(err, &re) {
				return replay(c, re.Answer)
			}
			if !errors.Is(err, ErrIdempotencyConflict) {
				s.metrics.decisionLogErrs.Inc()
			}
			return recordError(fmt.Errorf("record decision %s: %w", rec.DecisionID, err))
		}
	}
	s.metrics.observeDecision(rec.Live, rec.Shadow, rec.ReportStatus)
	s.metrics.stageFetch.Observe(rec.Timings.Fetch.Seconds())
	s.metrics.stageEvaluate.Observe(rec.Timings.Evaluate.Seconds())
	s.metrics.stageTotal.Observe(time.Since(start).Seconds())
	state(c).outcome = string(rec.Outcome())
	return c.JSONBlob(http.StatusOK, out)
}

// logReportMissing logs a decision made without its report. A session
// Roundtable does not know is an answer, not a failure (Info); anything else
// means Roundtable or the report failed (Warn).
func (s *Server) logReportMissing(c echo.Context, r *decision.Result) {
	ev := s.log.Warn()
	msg := "report unavailable: deciding with on_error"
	if r.ReportStatus == report.StatusNotFound {
		ev, msg = s.log.Info(), "no report for this session: deciding with on_error"
	}
	ev.Str("request_id", requestID(c)).Str("session_id", r.SessionID).Str("report_status", r.ReportStatus).
		Str("error", r.FetchError).Msg(msg)
}

// decideError turns a pipeline error into the API's: the context's
// *engine.ContextError goes through as it is (400 invalid_context).
func decideError(err error) error {
	if errors.Is(err, decision.ErrNoPolicySet) {
		return errNoPolicySet
	}
	return err
}

// record hands the record to the decision log within what is left of the
// request timeout. (POST /v1/decisions bounds each of its waits itself —
// the fetch by the fetcher's budget, the log here — instead of paying for a
// deadline context on every request.) A caller that hangs up does not cut
// the write short: the decision was made, and a retry with its
// Idempotency-Key must find it. rec comes by value: the handler's copy
// stays on its stack, and only a logged decision pays for one on the heap.
func (s *Server) record(ctx context.Context, start time.Time, rec DecisionRecord) error {
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), start.Add(s.requestTimeout))
	defer cancel()
	if err := s.recorder.Record(ctx, &rec); err != nil {
		return err
	}
	if s.memory != nil {
		s.memory.Recorded(&rec.Result) // counters: O(counters), after the trace is durable
	}
	return nil
}
