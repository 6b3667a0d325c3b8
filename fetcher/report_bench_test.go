package fetcher_test

import (
	"encoding/json"
	"testing"

	"github.com/verdicthq/verdict/fetcher"
)

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
