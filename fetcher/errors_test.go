package fetcher_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/verdicthq/verdict/fetcher"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, fetcher.StatusOK},
		{"not found", fmt.Errorf("x: %w", fetcher.ErrNotFound), fetcher.StatusNotFound},
		{"unauthorized", fmt.Errorf("x: %w", fetcher.ErrUnauthorized), fetcher.StatusUnauthorized},
		{"rate limited", fmt.Errorf("x: %w", fetcher.ErrRateLimited), fetcher.StatusRateLimited},
		{"unavailable", fmt.Errorf("x: %w", fetcher.ErrUnavailable), fetcher.StatusUnavailable},
		{"invalid report sentinel", fmt.Errorf("x: %w", fetcher.ErrInvalidReport), fetcher.StatusInvalid},
		{"invalid report type", &fetcher.InvalidReportError{Field: "risk_score", Reason: "missing"}, fetcher.StatusInvalid},
		{"unknown error", errors.New("boom"), fetcher.StatusUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fetcher.Status(tt.err); got != tt.want {
				t.Errorf("Status(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
