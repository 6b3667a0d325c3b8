package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
)

// labelsBodyLimit bounds POST /v1/labels: 1,000 labels of a few hundred
// bytes each.
const labelsBodyLimit = 1 << 20

// labelInput is one label as a caller sends it: exactly one of decision_id,
// session_id and user_id.
type labelInput struct {
	DecisionID string    `json:"decision_id"`
	SessionID  string    `json:"session_id"`
	UserID     string    `json:"user_id"`
	Label      string    `json:"label"`
	Reason     string    `json:"reason"`
	OccurredAt time.Time `json:"occurred_at"`
}

// labelsRequest is the body of POST /v1/labels: one label, or "labels"
// with up to 1,000.
type labelsRequest struct {
	labelInput
	Labels []labelInput `json:"labels"`
}

// toLabel turns an input into an audit.Label; by is the caller.
func (in labelInput) toLabel(by string) (audit.Label, error) {
	l := audit.Label{Label: in.Label, Reason: in.Reason, OccurredAt: in.OccurredAt, By: by}
	n := 0
	for _, t := range []struct{ target, value string }{
		{audit.TargetDecision, in.DecisionID}, {audit.TargetSession, in.SessionID}, {audit.TargetUser, in.UserID},
	} {
		if t.value != "" {
			l.Target, l.Value = t.target, t.value
			n++
		}
	}
	if n != 1 {
		return l, fmt.Errorf("%w: a label names exactly one of decision_id, session_id and user_id", audit.ErrInvalid)
	}
	return l, nil
}

// labelView is a stored label as the API shows it.
type labelView struct {
	ID         int64     `json:"id"`
	DecisionID string    `json:"decision_id,omitempty"`
	SessionID  string    `json:"session_id,omitempty"`
	UserID     string    `json:"user_id,omitempty"`
	Label      string    `json:"label"`
	Reason     string    `json:"reason,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
	RecordedAt time.Time `json:"recorded_at"`
	By         string    `json:"by,omitempty"`
}

func viewLabel(l *audit.Label) *labelView {
	v := &labelView{ID: l.ID, Label: l.Label, Reason: l.Reason, OccurredAt: l.OccurredAt, RecordedAt: l.RecordedAt, By: l.By}
	switch l.Target {
	case audit.TargetDecision:
		v.DecisionID = l.Value
	case audit.TargetSession:
		v.SessionID = l.Value
	case audit.TargetUser:
		v.UserID = l.Value
	}
	return v
}

// labelAnswer is the answer for one label.
type labelAnswer struct {
	Status string     `json:"status"` // created, duplicate or error
	Label  *labelView `json:"label,omitempty"`
	Error  *Error     `json:"error,omitempty"`
}

// labelsAnswer is the answer of a batch.
type labelsAnswer struct {
	Results    []labelAnswer `json:"results"`
	Created    int           `json:"created"`
	Duplicates int           `json:"duplicates"`
	Errors     int           `json:"errors"`
}

// postLabels answers POST /v1/labels: one label (201 created, 200 when it
// repeats the current one, 404 for an unknown decision, session or user),
// or a batch (200, with a result per label: the good ones are kept beside
// the others' errors).
func (s *Server) postLabels(c echo.Context) error {
	lb, ok := s.auditLog.(audit.Labels)
	if !ok {
		return errNoLog
	}
	var req labelsRequest
	if _, err := decodeJSON(c, labelsBodyLimit, &req); err != nil {
		return err
	}
	single := req.Labels == nil
	if !single && req.labelInput != (labelInput{}) {
		return apiError(http.StatusBadRequest, CodeInvalidField, "send one label, or \"labels\" alone")
	}
	inputs := req.Labels
	if single {
		inputs = []labelInput{req.labelInput}
	}
	if len(inputs) == 0 || len(inputs) > audit.MaxLabels {
		return apiError(http.StatusBadRequest, CodeInvalidField, "labels: send 1 to %d labels", audit.MaxLabels)
	}
	labels := make([]audit.Label, len(inputs))
	pre := make([]error, len(inputs))
	var valid []audit.Label
	for i, in := range inputs {
		labels[i], pre[i] = in.toLabel(keyID(c))
		if pre[i] == nil {
			valid = append(valid, labels[i])
		}
	}
	stored, err := lb.AddLabels(c.Request().Context(), valid)
	if err != nil {
		return readError(err)
	}
	results := make([]audit.LabelResult, len(inputs))
	for i, j := 0, 0; i < len(inputs); i++ {
		if pre[i] != nil {
			results[i] = audit.LabelResult{Err: pre[i]}
			continue
		}
		results[i] = stored[j]
		j++
	}
	if single {
		r := results[0]
		switch {
		case r.Err != nil:
			return labelError(r.Err)
		case r.Duplicate:
			return c.JSON(http.StatusOK, labelAnswer{Status: "duplicate", Label: viewLabel(r.Label)})
		}
		return c.JSON(http.StatusCreated, labelAnswer{Status: "created", Label: viewLabel(r.Label)})
	}
	out := labelsAnswer{Results: make([]labelAnswer, len(results))}
	for i, r := range results {
		switch {
		case r.Err != nil:
			out.Results[i] = labelAnswer{Status: "error", Error: toError(labelError(r.Err))}
			out.Errors++
		case r.Duplicate:
			out.Results[i] = labelAnswer{Status: "duplicate", Label: viewLabel(r.Label)}
			out.Duplicates++
		default:
			out.Results[i] = labelAnswer{Status: "created", Label: viewLabel(r.Label)}
			out.Created++
		}
	}
	return c.JSON(http.StatusOK, out)
}

// labelError maps a label's own error.
func labelError(err error) error {
	switch {
	case errors.Is(err, audit.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: err.Error(), err: err}
	case errors.Is(err, audit.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidField, Message: err.Error(), err: err}
	}
	return readError(err)
}
