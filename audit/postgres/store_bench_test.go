package postgres_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// BenchmarkAppend: durable appends/s with group commit, against the baseline
// of one transaction per append (as many in flight as there are writers), in
// the same run. Needs VERDICT_TEST_POSTGRES_URL.
//
//	go test ./audit/postgres -run '^$' -bench Append -benchtime 3s
func BenchmarkAppend(b *testing.B) {
	for _, c := range []struct {
		name              string
		maxBatch, writers int
		par               int
	}{
		{"baseline-one-tx-per-append", 1, 8, 32},
		{"group-commit", 0, 0, 32},
		{"group-commit-8-goroutines", 0, 0, 4},
	} {
		b.Run(fmt.Sprintf("%s/goroutines=%d", c.name, c.par*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			url := newSchema(b)
			audittest.BenchAppend(b, url, audit.Options{MaxBatch: c.maxBatch, Writers: c.writers}, c.par)
		})
	}
}

// BenchmarkVerify: verdict audit verify's speed over a 20,000-trace log.
func BenchmarkVerify(b *testing.B) {
	audittest.BenchVerify(b, newSchema(b), 20000)
}
