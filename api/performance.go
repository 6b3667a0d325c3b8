package api

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
)

// rulePerformance answers GET /v1/rules/performance?since=30d&until=&policy=:
// each rule's fires against the labels (precision, recall, the same where it
// fired alone, split credit) and each policy's outcome × label matrix.
// since defaults to 30 days back.
func (s *Server) rulePerformance(c echo.Context) error {
	pr, ok := s.auditLog.(audit.PerformanceReader)
	if !ok {
		return errNoLog
	}
	now := s.clock()
	f := audit.PerfFilter{}
	sinceSet := false
	for name, vals := range c.QueryParams() {
		if len(vals) != 1 {
			return readError(fmt.Errorf("%w: parameter %s given %d times", audit.ErrInvalid, name, len(vals)))
		}
		var err error
		switch name {
		case "since":
			f.Since, err = audit.ParseTime(vals[0], now)
			sinceSet = true
		case "until":
			f.Until, err = audit.ParseTime(vals[0], now)
		case "policy":
			f.Policy = vals[0]
		default:
			return readError(fmt.Errorf("%w: unknown parameter %q", audit.ErrInvalid, name))
		}
		if err != nil {
			return readError(fmt.Errorf("%w: %s: %v", audit.ErrInvalid, name, err))
		}
	}
	if !sinceSet {
		f.Since, _ = audit.ParseTime("30d", now)
	}
	p, err := pr.RulePerformance(c.Request().Context(), f)
	if err != nil {
		return readError(fmt.Errorf("rule performance: %w", err))
	}
	return c.JSON(http.StatusOK, p)
}
