package report_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/report"
)

// benchReports are the report bodies the decoding benchmarks run on: the
// package's full fixture, the repository's ~850 B demo report, and the
// realistic 1.8 KB report with the deprecated user_logs that the audit
// benchmarks store (audit/audittest/testdata/report.json, read as a file so
// that fetcher's tests do not depend on audit).
var benchReports = []struct{ name, path string }{
	{"full", filepath.Join("testdata", "reports", "full.json")},
	{"demo-review-850B", filepath.Join("..", "testdata", "reports", "demo-review.json")},
	{"user-logs-1.8KB", filepath.Join("..", "internal", "audittest", "testdata", "report.json")},
}

func readBenchReport(b *testing.B, path string) []byte {
	b.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkDecodeReport times Decode (json v2, validation, documented
// checks filled in, Raw copied) on each report; BenchmarkJSONUnmarshalReport
// is a bare encoding/json Unmarshal of the same body into report.Report, with
// no validation. (The hand-written scanner Decode had before was measured
// against json v2 in the commit that added report_json.go and removed, see
// docs/bench-api.md.)
func BenchmarkDecodeReport(b *testing.B) {
	for _, br := range benchReports {
		raw := readBenchReport(b, br.path)
		b.Run(br.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := report.Decode(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJSONUnmarshalReport(b *testing.B) {
	for _, br := range benchReports {
		raw := readBenchReport(b, br.path)
		b.Run(br.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				var r report.Report
				if err := json.Unmarshal(raw, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
