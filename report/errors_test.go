package report_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/verdicthq/verdict/report"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, report.StatusOK},
		{"not found", fmt.Errorf("x: %w", report.ErrNotFound), report.StatusNotFound},
		{"unauthorized", fmt.Errorf("x: %w", report.ErrUnauthorized), report.StatusUnauthorized},
		{"rate limited", fmt.Errorf("x: %w", report.ErrRateLimited), report.StatusRateLimited},
		{"unavailable", fmt.Errorf("x: %w", report.ErrUnavailable), report.StatusUnavailable},
		{"invalid report sentinel", fmt.Errorf("x: %w", report.ErrInvalid), report.StatusInvalid},
		{"invalid report type", &report.InvalidError{Field: "risk_score", Reason: "missing"}, report.StatusInvalid},
		{"unknown error", errors.New("boom"), report.StatusUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := report.Status(tt.err); got != tt.want {
				t.Errorf("Status(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
