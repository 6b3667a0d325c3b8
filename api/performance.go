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
	err := eachParam(c.QueryParams(), func(name, v string) (err error) {
		switch name {
		case "since":
			f.Since, err = audit.ParseTime(v, now)
			sinceSet = true
		case "until":
			f.Until, err = audit.ParseTime(v, now)
		case "policy":
			f.Policy = v
		default:
			return errUnknownParam
		}
		return err
	})
	if err != nil {
		return readError(err)
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
