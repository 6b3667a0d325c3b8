package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// loopRoutes adds the review queue, labels and rule performance routes.
func (s *Server) loopRoutes() {
	s.routeAny(http.MethodGet, "/v1/reviews", s.listReviews, ScopeAudit, ScopeReview)
	s.routeAny(http.MethodGet, "/v1/reviews/:id", s.getReview, ScopeAudit, ScopeReview)
	s.Route(http.MethodPost, "/v1/reviews/:id/claim", ScopeReview, s.claimReview)
	s.Route(http.MethodPost, "/v1/reviews/:id/resolve", ScopeReview, s.resolveReview)
	s.Route(http.MethodPost, "/v1/labels", ScopeReview, s.postLabels)
	s.Route(http.MethodGet, "/v1/rules/performance", ScopeAudit, s.rulePerformance)
	s.webhookRoutes()
	if rv, ok := s.auditLog.(audit.Reviews); ok {
		s.metrics.watchReviews(rv, s.clock)
	}
}

// routeAny adds an authenticated route that any one of scopes opens.
func (s *Server) routeAny(method, path string, h echo.HandlerFunc, scopes ...string) {
	s.open(method, path, s.requireAnyScope(scopes...)(h))
}

// reviews is the decision log's review queue, or a 503 without one.
func (s *Server) reviews() (audit.Reviews, error) {
	rv, ok := s.auditLog.(audit.Reviews)
	if !ok {
		return nil, errNoLog
	}
	return rv, nil
}

// reviewView is a review as the API shows it: the claim only while it holds.
type reviewView struct {
	*audit.Review
	ClaimedBy    string    `json:"claimed_by,omitempty"`
	ClaimedUntil time.Time `json:"claimed_until,omitzero"`
}

func (s *Server) viewReview(r *audit.Review) reviewView {
	v := reviewView{Review: r}
	if by, ok := r.ClaimHeld(s.clock()); ok {
		v.ClaimedBy, v.ClaimedUntil = by, r.ClaimedUntil
	}
	return v
}

// reviewPage is the answer of GET /v1/reviews.
type reviewPage struct {
	Reviews    []reviewView `json:"reviews"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// listReviews answers GET /v1/reviews?status=&policy=&rule=&since=&limit=&cursor=:
// the queue, oldest opened first.
func (s *Server) listReviews(c echo.Context) error {
	rv, err := s.reviews()
	if err != nil {
		return err
	}
	f, err := reviewFilterFromQuery(c, s.clock())
	if err != nil {
		return readError(err)
	}
	page, err := rv.Reviews(c.Request().Context(), f)
	if err != nil {
		return readError(fmt.Errorf("list reviews: %w", err))
	}
	out := reviewPage{Reviews: make([]reviewView, len(page.Reviews)), NextCursor: page.NextCursor}
	for i, r := range page.Reviews {
		out.Reviews[i] = s.viewReview(r)
	}
	return c.JSON(http.StatusOK, out)
}

func reviewFilterFromQuery(c echo.Context, now time.Time) (audit.ReviewFilter, error) {
	var f audit.ReviewFilter
	err := eachParam(c.QueryParams(), func(name, v string) (err error) {
		switch name {
		case "status":
			f.Status = v
		case "policy":
			f.Policy = v
		case "rule":
			f.Rule = v
		case "since":
			f.Since, err = audit.ParseTime(v, now)
		case "limit":
			f.Limit, err = parseLimit(v)
		case "cursor":
			f.Cursor = v
		default:
			return errUnknownParam
		}
		return err
	})
	if err != nil {
		return f, err
	}
	_, err = f.Normalize()
	return f, err
}

// getReview answers GET /v1/reviews/{decision_id}: the review and its events.
func (s *Server) getReview(c echo.Context) error {
	rv, err := s.reviews()
	if err != nil {
		return err
	}
	r, err := rv.Review(c.Request().Context(), c.Param("id"))
	if err != nil {
		return reviewError(err)
	}
	return c.JSON(http.StatusOK, s.viewReview(r))
}

// claimRequest is the optional body of POST /v1/reviews/{id}/claim.
type claimRequest struct {
	// Analyst names who works on it; the API key id when empty.
	Analyst string `json:"analyst"`
}

// claimReview answers POST /v1/reviews/{decision_id}/claim.
func (s *Server) claimReview(c echo.Context) error {
	rv, err := s.reviews()
	if err != nil {
		return err
	}
	var req claimRequest
	if c.Request().ContentLength != 0 {
		if _, err := decodeJSON(c, s.bodyLimit, &req); err != nil {
			return err
		}
	}
	who, err := analyst(c, req.Analyst)
	if err != nil {
		return err
	}
	r, err := rv.ClaimReview(c.Request().Context(), c.Param("id"), who, s.clock())
	if err != nil {
		return reviewError(err)
	}
	return c.JSON(http.StatusOK, s.viewReview(r))
}

// resolveRequest is the body of POST /v1/reviews/{id}/resolve.
type resolveRequest struct {
	Outcome engine.Outcome `json:"outcome"`
	Note    string         `json:"note"`
	Analyst string         `json:"analyst"`
}

// resolveReview answers POST /v1/reviews/{decision_id}/resolve: the final
// word, allow or deny; it writes the decision's label too.
func (s *Server) resolveReview(c echo.Context) error {
	rv, err := s.reviews()
	if err != nil {
		return err
	}
	var req resolveRequest
	if _, err := decodeJSON(c, s.bodyLimit, &req); err != nil {
		return err
	}
	if req.Outcome != engine.Allow && req.Outcome != engine.Deny {
		return apiError(http.StatusBadRequest, CodeInvalidField, "outcome: must be \"allow\" or \"deny\"")
	}
	who, err := analyst(c, req.Analyst)
	if err != nil {
		return err
	}
	r, err := rv.ResolveReview(c.Request().Context(), c.Param("id"),
		audit.Resolution{Outcome: req.Outcome, Note: req.Note, By: who, At: s.clock()})
	if err != nil {
		return reviewError(err)
	}
	return c.JSON(http.StatusOK, s.viewReview(r))
}

// analyst is who claims or resolves: the API key id, with the analyst's
// name after a slash when the body names one ("console/alice").
func analyst(c echo.Context, name string) (string, error) {
	if len(name) > 128 {
		return "", apiError(http.StatusBadRequest, CodeInvalidField, "analyst: at most 128 bytes")
	}
	if name == "" {
		return keyID(c), nil
	}
	return keyID(c) + "/" + name, nil
}

// reviewError maps the review queue's errors to answers.
func reviewError(err error) error {
	switch {
	case errors.Is(err, audit.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no review for this decision (unknown, or it was not answered review)", err: err}
	case errors.Is(err, audit.ErrResolved):
		return &Error{Status: http.StatusConflict, Code: CodeReviewResolved, Message: err.Error(), err: err}
	case errors.Is(err, audit.ErrClaimed):
		return &Error{Status: http.StatusConflict, Code: CodeReviewClaimed, Message: err.Error(), err: err}
	case errors.Is(err, audit.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidField, Message: err.Error(), err: err}
	}
	return readError(err)
}
