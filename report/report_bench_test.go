package report_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	{"user-logs-1.8KB", filepath.Join("..", "audit", "audittest", "testdata", "report.json")},
}

func readBenchReport(b *testing.B, path string) []byte {
	b.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkDecodeReport times Decode (validation, documented checks
// filled in, Raw copied) on each report; BenchmarkJSONUnmarshalReport is the
// reflection floor it used to sit on: a bare json.Unmarshal of the same body
// into report.Report, with no validation.
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

// BenchmarkDecodeReportJSONv2 times the json v2 decoder with the check
// groups decoded by UnmarshalJSONFrom, beside BenchmarkDecodeReport.
func BenchmarkDecodeReportJSONv2(b *testing.B) {
	for _, br := range benchReports {
		raw := readBenchReport(b, br.path)
		b.Run(br.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := report.DecodeReportJSON(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeReportPaired times Decode (the hand-written scanner) and the
// json v2 decoder in alternating chunks of one loop, so that both see the
// same machine load, and reports each one's ns/op and their ratio
// (v2/scan): the scanner stays only while that ratio is at least 2.
//
//	go test -run '^$' -bench DecodeReportPaired -benchmem ./report/
func BenchmarkDecodeReportPaired(b *testing.B) {
	for _, br := range benchReports {
		raw := readBenchReport(b, br.path)
		b.Run(br.name, func(b *testing.B) {
			const chunk = 256
			var scan, v2 time.Duration
			n := 0
			for n < b.N {
				t0 := time.Now()
				for range chunk {
					if _, err := report.Decode(raw); err != nil {
						b.Fatal(err)
					}
				}
				t1 := time.Now()
				for range chunk {
					if _, err := report.DecodeReportJSON(raw); err != nil {
						b.Fatal(err)
					}
				}
				scan += t1.Sub(t0)
				v2 += time.Since(t1)
				n += chunk
			}
			b.ReportMetric(float64(scan.Nanoseconds())/float64(n), "scan-ns/op")
			b.ReportMetric(float64(v2.Nanoseconds())/float64(n), "v2-ns/op")
			b.ReportMetric(float64(v2)/float64(scan), "v2/scan")
		})
	}
}
