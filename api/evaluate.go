package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/report"
)

// evaluateRequest is the body of POST /v1/evaluate.
type evaluateRequest struct {
	Report  json.RawMessage `json:"report"`
	Context json.RawMessage `json:"context"`
	// Now is the decision's time (RFC 3339), what now() in rules returns
	// and decided_at in the answer; absent or null: the request's time.
	Now *string `json:"now"`
}

// evaluate answers POST /v1/evaluate: a dry run of the live policy set on an
// inline report, for risk teams, through the same decision pipeline as
// POST /v1/decisions. Nothing is fetched or recorded; the answer has the
// shape of a decision, with dry_run true and report_status "ok".
func (s *Server) evaluate(c echo.Context) error {
	start := time.Now()
	var req evaluateRequest
	if _, err := decodeJSON(c, s.bodyLimit, &req); err != nil {
		return err
	}
	if len(req.Report) == 0 || string(req.Report) == "null" {
		return apiError(http.StatusBadRequest, CodeInvalidReport, "report is required")
	}
	rep, err := report.Decode(req.Report)
	if err != nil {
		return err
	}
	ctxMap, _, err := s.decodeContext(req.Context)
	if err != nil {
		return err
	}
	at := start.UTC()
	if req.Now != nil {
		t, err := time.Parse(time.RFC3339Nano, *req.Now)
		if err != nil {
			return apiError(http.StatusBadRequest, CodeInvalidField, "now: want an RFC 3339 time such as 2031-06-01T00:00:00Z")
		}
		at = t.UTC()
	}
	res, err := s.dryRun.Decide(c.Request().Context(), decision.Request{
		SessionID: rep.SessionID, Report: rep, Context: ctxMap, Now: at, Received: start, NoShadow: true,
	})
	if err != nil {
		return decideError(err)
	}
	resp := newDecisionResponse(&res)
	resp.DryRun = true
	state(c).outcome = string(resp.Outcome)
	out, err := appendDecision(make([]byte, 0, 1024), &resp)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, out)
}
