package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
)

// errNoLog answers the read routes when the server runs without a decision log.
var errNoLog = &Error{Status: http.StatusServiceUnavailable, Code: CodeDecisionLogFailed,
	Message: "this server runs without a decision log"}

// getDecision answers GET /v1/decisions/{id}: the whole trace, or 404.
func (s *Server) getDecision(c echo.Context) error {
	if s.auditLog == nil {
		return errNoLog
	}
	id := c.Param("id")
	t, err := s.auditLog.Get(c.Request().Context(), id)
	switch {
	case errors.Is(err, audit.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no decision with this id", err: err}
	case err != nil:
		return readError(fmt.Errorf("get decision %q: %w", id, err))
	}
	if t.Unreadable != "" {
		s.metrics.unreadable.Inc()
		s.log.Error().Str("request_id", requestID(c)).Str("decision_id", t.ID).Str("cause", t.Unreadable).Msg("stored trace unreadable")
	}
	return s.answerDecision(c, t) // decision_loop.go: with its review and labels
}

// listDecisions answers GET /v1/decisions: one page of traces matching the
// query's filters, newest first, with next_cursor for the next page.
func (s *Server) listDecisions(c echo.Context) error {
	if s.auditLog == nil {
		return errNoLog
	}
	q, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil { // c.QueryParams() drops a pair it cannot decode: a filter would silently match everything
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidQuery, Message: "the query string cannot be decoded: " + err.Error(), err: err}
	}
	f, err := filterFromQuery(q, time.Now())
	if err != nil {
		return readError(err)
	}
	page, err := s.auditLog.Query(c.Request().Context(), f)
	if err != nil {
		return readError(fmt.Errorf("query decisions: %w", err))
	}
	if page.Traces == nil {
		page.Traces = []*audit.Trace{}
	}
	for _, t := range page.Traces {
		if t.Unreadable != "" {
			s.metrics.unreadable.Inc()
			s.log.Error().Str("request_id", requestID(c)).Str("decision_id", t.ID).Str("cause", t.Unreadable).Msg("stored trace unreadable")
		}
	}
	return c.JSON(http.StatusOK, page)
}

// readError maps an error of a decision log read: a bad filter or cursor is
// a 400, a timeout keeps its meaning, anything else is a 503.
func readError(err error) error {
	if errors.Is(err, audit.ErrInvalid) {
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidQuery, Message: err.Error(), err: err}
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeDecisionLogFailed,
		Message: "the decision log is unavailable; retry", err: err}
}
