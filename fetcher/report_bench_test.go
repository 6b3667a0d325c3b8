package fetcher_test

import (
	"encoding/json"
	"testing"

	"github.com/verdicthq/verdict/fetcher"
)

// BenchmarkDecodeReport and its floor BenchmarkJSONUnmarshalReport: the
// validating decoder against a bare json.Unmarshal of the same report.
// DecodeReport also copies the body into Report.Raw (the client hands its
// buffer over instead).
func BenchmarkDecodeReport(b *testing.B) {
	raw := readFixture(b, "full.json")
	for b.Loop() {
		if _, err := fetcher.DecodeReport(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONUnmarshalReport(b *testing.B) {
	raw := readFixture(b, "full.json")
	for b.Loop() {
		var r fetcher.Report
		if err := json.Unmarshal(raw, &r); err != nil {
			b.Fatal(err)
		}
	}
}
