package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
)

// decisionExtras are what GET /v1/decisions/{id} shows beside the trace,
// from records of their own (the trace never changes): the review the
// decision opened with its events, and the labels that apply to it.
type decisionExtras struct {
	Review *reviewView  `json:"review,omitempty"`
	Labels []*labelView `json:"labels,omitempty"`
}

// answerDecision writes a trace with its review and labels.
func (s *Server) answerDecision(c echo.Context, t *audit.Trace) error {
	ex, err := s.extras(c.Request().Context(), t)
	if err != nil {
		return readError(err)
	}
	body, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode decision %s: %w", t.ID, err)
	}
	if ex.Review != nil || len(ex.Labels) > 0 {
		more, err := json.Marshal(ex)
		if err != nil {
			return fmt.Errorf("encode review of decision %s: %w", t.ID, err)
		}
		// Both are JSON objects: join their members.
		body = append(bytes.TrimSuffix(bytes.TrimRight(body, "\n"), []byte("}")), ',')
		body = append(body, more[1:]...)
	}
	return c.JSONBlob(http.StatusOK, body)
}

func (s *Server) extras(ctx context.Context, t *audit.Trace) (decisionExtras, error) {
	var ex decisionExtras
	if rv, ok := s.auditLog.(audit.Reviews); ok && audit.OpensReview(t) {
		r, err := rv.Review(ctx, t.ID)
		switch {
		case err == nil:
			v := s.viewReview(r)
			ex.Review = &v
		case !errors.Is(err, audit.ErrNotFound):
			return ex, fmt.Errorf("review of decision %s: %w", t.ID, err)
		}
	}
	if lb, ok := s.auditLog.(audit.Labels); ok {
		labels, err := lb.LabelsOf(ctx, t)
		if err != nil {
			return ex, err
		}
		for i := range labels {
			ex.Labels = append(ex.Labels, viewLabel(&labels[i]))
		}
	}
	return ex, nil
}
