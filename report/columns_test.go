package report_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/report"
)

// TestFromColumnsReadsAsDecode: a report rebuilt from its user id, risk
// score and DocumentedCodes reads every documented check as the decoded
// report does, for every report fixture.
func TestFromColumnsReadsAsDecode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "reports", "*.json"))
	if err != nil || len(files) < 5 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	decoded := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := report.Decode(raw)
		if err != nil {
			continue // the fixtures of broken reports
		}
		decoded++
		codes := r.DocumentedCodes()
		back, err := report.FromColumns(r.UserID, r.RiskScore, codes)
		if err != nil {
			t.Fatalf("%s: %v (codes %q)", f, err, codes)
		}
		if back.UserID != r.UserID || back.RiskScore != r.RiskScore {
			t.Fatalf("%s: %q %d, want %q %d", f, back.UserID, back.RiskScore, r.UserID, r.RiskScore)
		}
		var want, got [report.NumDocumentedChecks]report.CheckValue
		r.CopyDocumentedChecks(&want)
		back.CopyDocumentedChecks(&got)
		for i := range report.NumDocumentedChecks {
			if back.CheckAt(i) != r.CheckAt(i) || got[i] != want[i] {
				t.Fatalf("%s: check %d reads %q, want %q", f, i, back.CheckAt(i), r.CheckAt(i))
			}
		}
	}
	if decoded < 5 {
		t.Fatalf("only %d fixtures decoded", decoded)
	}
	if (&report.Report{}).DocumentedCodes() != nil {
		t.Fatal("a report built by hand has codes")
	}
	for _, bad := range []string{"", "12", strings.Repeat("1", report.NumDocumentedChecks+1),
		strings.Repeat("0", report.NumDocumentedChecks), strings.Repeat("4", report.NumDocumentedChecks)} {
		if _, err := report.FromColumns("u", 1, []byte(bad)); err == nil {
			t.Errorf("FromColumns(%q) accepted", bad)
		}
	}
}
