package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
)

// webhookRoutes adds the webhook deliveries routes (scope admin).
func (s *Server) webhookRoutes() {
	s.Route(http.MethodGet, "/v1/webhooks/deliveries", ScopeAdmin, s.listDeliveries)
	s.Route(http.MethodPost, "/v1/webhooks/deliveries/:id/redeliver", ScopeAdmin, s.redeliver)
}

// listDeliveries answers GET /v1/webhooks/deliveries?status=pending|delivered|failed&limit=&cursor=:
// deliveries with their attempts, newest first.
func (s *Server) listDeliveries(c echo.Context) error {
	ob, ok := s.auditLog.(audit.Outbox)
	if !ok {
		return errNoLog
	}
	var f audit.DeliveryFilter
	if err := eachParam(c.QueryParams(), func(name, v string) (err error) {
		switch name {
		case "status":
			f.Status = v
		case "cursor":
			f.Cursor = v
		case "limit":
			f.Limit, err = parseLimit(v)
		default:
			return errUnknownParam
		}
		return err
	}); err != nil {
		return readError(err)
	}
	page, err := ob.Deliveries(c.Request().Context(), f)
	if err != nil {
		return readError(fmt.Errorf("list webhook deliveries: %w", err))
	}
	return c.JSON(http.StatusOK, page)
}

// redeliver answers POST /v1/webhooks/deliveries/{id}/redeliver: the
// delivery is pending again, due now, with a new 24-hour retry window.
func (s *Server) redeliver(c echo.Context) error {
	ob, ok := s.auditLog.(audit.Outbox)
	if !ok {
		return errNoLog
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no delivery with this id"}
	}
	d, err := ob.Redeliver(c.Request().Context(), id, s.clock())
	switch {
	case errors.Is(err, audit.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no delivery with this id", err: err}
	case err != nil:
		return readError(fmt.Errorf("redeliver %d: %w", id, err))
	}
	return c.JSON(http.StatusOK, d)
}
