package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// evaluateRequest is the body of POST /v1/evaluate.
type evaluateRequest struct {
	Report  json.RawMessage `json:"report"`
	Context json.RawMessage `json:"context"`
}

// evaluate answers POST /v1/evaluate: a dry run of the live policy set on an
// inline report, for risk teams. Nothing is fetched or recorded; the answer
// has the shape of a decision, with dry_run true and report_status "ok".
func (s *Server) evaluate(c echo.Context) error {
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
	set := s.live.Load()
	if set == nil {
		return errNoPolicySet
	}
	live, _ := set.Select(rep.Tags)
	if live == nil {
		return errNoPolicySet
	}
	if err := live.CheckContext(ctxMap); err != nil {
		return err
	}
	d := live.Evaluate(engine.Facts{Report: rep, Context: ctxMap})
	resp := newDecisionResponse(newID(), rep.SessionID, d, rep, report.StatusOK, time.Now().UTC())
	resp.DryRun = true
	state(c).outcome = string(d.Outcome)
	out, err := appendDecision(make([]byte, 0, 1024), &resp)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, out)
}
