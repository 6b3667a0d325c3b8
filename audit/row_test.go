package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// TestRowReportColumns: a row carries the report's risk score and check
// codes for the log's columns only when they are what its stored report
// says: a report had (status ok), the codes whole, and no masked field of
// the report (masking only context fields keeps them).
func TestRowReportColumns(t *testing.T) {
	key := []byte("0123456789abcdef0123")
	mask := func(fields ...string) *Mask {
		m, err := NewMask(fields, key)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	codes := []byte(strings.Repeat("2", report.NumDocumentedChecks))
	cases := []struct {
		name   string
		edit   func(*Trace)
		mask   *Mask
		stored bool
	}{
		{"no mask", nil, nil, true},
		{"context fields masked", nil, mask("context.email", "context.card:remove"), true},
		{"user_id masked", nil, mask("user_id"), false},
		{"risk_score masked", nil, mask("risk_score"), false},
		{"a check masked", nil, mask("device_checks.vpn"), false},
		{"no report had", func(t *Trace) { t.ReportStatus, t.Report = "unavailable", nil }, nil, false},
		{"no score", func(t *Trace) { t.RiskScore = nil }, nil, false},
		{"codes cut short", func(t *Trace) { t.CheckCodes = codes[:3] }, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			score := 58
			tr := &Trace{SessionID: "s1", UserID: "u1", Report: []byte(`{"session_id":"s1","risk_score":58}`), ReportStatus: "ok",
				Context: []byte(`{"email":"a@b.c","card":"c1"}`), Policy: engine.PolicyRef{Name: "p", Version: "v"},
				Outcome: engine.Allow, Reason: engine.ReasonDefault, RiskScore: &score, CheckCodes: codes}
			if tc.edit != nil {
				tc.edit(tr)
			}
			r, err := EncodeMaskedRow(tr, time.Now(), tc.mask)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.RiskScore != nil && r.CheckCodes != nil; got != tc.stored {
				t.Fatalf("columns kept %v (score %v, codes %q), want %v", got, r.RiskScore, r.CheckCodes, tc.stored)
			}
			if r.RiskScore != nil && *r.RiskScore != 58 {
				t.Fatalf("score %d", *r.RiskScore)
			}
		})
	}
}
