package report_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/internal/hostile"
	"github.com/verdicthq/verdict/report"
)

func TestValidateSessionID(t *testing.T) {
	valid := []string{"a", "abc123def456", "demo-allow", "A_b-9", strings.Repeat("z", report.MaxSessionIDLen)}
	for _, id := range valid {
		t.Run("valid/"+id[:min(len(id), 20)], func(t *testing.T) {
			if err := report.ValidateSessionID(id); err != nil {
				t.Errorf("ValidateSessionID(%q) = %v, want nil", id, err)
			}
		})
	}
	for _, id := range hostile.SessionIDs(t, "../testdata/hostile/session_ids.json") {
		t.Run("invalid/"+id[:min(len(id), 20)], func(t *testing.T) {
			err := report.ValidateSessionID(id)
			if !errors.Is(err, report.ErrInvalidSessionID) {
				t.Errorf("ValidateSessionID(%q) = %v, want ErrInvalidSessionID", id, err)
			}
		})
	}
}
