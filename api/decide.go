package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/engine"
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

// decide answers POST /v1/decisions: validate, fetch the report, pick the
// policy by the report's tags, check the context, evaluate live and shadow,
// record, answer. Once the request is valid and authorized it always ends in
// a verdict (the policy's on_error when the report cannot be had), unless
// the decision cannot be recorded (503).
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
	set := s.live.Load() // once: the whole request runs on this set
	if set == nil {
		return errNoPolicySet
	}

	ctx := c.Request().Context()
	rep, fetchErr := s.fetch.Fetch(ctx, sessionID)
	fetched := time.Now()
	reportStatus := report.Status(fetchErr)
	var tags []string
	if fetchErr == nil {
		tags = rep.Tags
	} else {
		rep = nil
		s.log.Warn().Str("request_id", requestID(c)).Str("session_id", sessionID).Str("report_status", reportStatus).
			Err(fetchErr).Msg("report unavailable: deciding with on_error")
	}

	live, shadow := set.Select(tags)
	if live == nil {
		return fmt.Errorf("policy set selected no live policy for tags %q", tags)
	}
	if err := live.CheckContext(ctxMap); err != nil {
		return err
	}
	decision := evaluate(live, rep, ctxMap)
	rec := DecisionRecord{
		DecisionID:     newID(),
		DecidedAt:      time.Now().UTC().Truncate(time.Microsecond), // what the log keeps, so a stored answer reads the same
		MonitorOnly:    s.monitorOnly,
		RequestID:      requestID(c),
		KeyID:          keyID(c),
		IdempotencyKey: idemKey,
		RequestBody:    body,
		SessionID:      sessionID,
		Context:        ctxRaw,
		Report:         rep,
		ReportStatus:   reportStatus,
		Live:           decision,
		SetLoadedAt:    set.LoadedAt(),
	}
	if rep != nil {
		rec.RawReport = rep.Raw
	}
	if fetchErr != nil {
		rec.FetchError = fetchErr.Error()
	}
	if shadow != nil {
		if err := shadow.CheckContext(ctxMap); err != nil {
			rec.ShadowError = err.Error()
		} else {
			sd := evaluate(shadow, rep, ctxMap)
			rec.Shadow = &sd
		}
	}
	evaluated := time.Now()
	rec.Timings = Timings{Fetch: fetched.Sub(start), Evaluate: evaluated.Sub(fetched), Total: evaluated.Sub(start)}

	answered := decision
	if s.monitorOnly {
		answered.Outcome = monitorOutcome
	}
	resp := newDecisionResponse(rec.DecisionID, sessionID, answered, rep, reportStatus, rec.DecidedAt)
	if s.monitorOnly {
		resp.MonitorOnly, resp.WouldBeOutcome = true, decision.Outcome
	}
	out, err := appendDecision(make([]byte, 0, 1024), &resp)
	if err != nil {
		return fmt.Errorf("encode decision: %w", err)
	}
	rec.ResponseBody = out

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
	s.metrics.observeDecision(decision, rec.Shadow, reportStatus)
	s.metrics.stageFetch.Observe(rec.Timings.Fetch.Seconds())
	s.metrics.stageEvaluate.Observe(rec.Timings.Evaluate.Seconds())
	s.metrics.stageTotal.Observe(time.Since(start).Seconds())
	state(c).outcome = string(answered.Outcome)
	return c.JSONBlob(http.StatusOK, out)
}

// record hands the record to the decision log within what is left of the
// request timeout. (POST /v1/decisions bounds each of its waits itself —
// the fetch by the fetcher's budget, the log here — instead of paying for a
// deadline context on every request.) A caller that hangs up does not cut
// the write short: the decision was made, and a retry with its
// Idempotency-Key must find it.
func (s *Server) record(ctx context.Context, start time.Time, rec DecisionRecord) error {
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), start.Add(s.requestTimeout))
	defer cancel()
	return s.recorder.Record(ctx, &rec)
}

// evaluate runs p over the report, or takes its on_error fallback when there
// is no report.
func evaluate(p *engine.Policy, r *report.Report, ctx map[string]any) engine.Decision {
	if r == nil {
		return p.Fallback()
	}
	return p.Evaluate(engine.Facts{Report: r, Context: ctx})
}
