package sqlite_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// BenchmarkAppend: durable appends/s with group commit, against the baseline
// of one transaction (one fsync) per append, in the same run.
//
//	go test ./audit/sqlite -run '^$' -bench Append -benchtime 3s
func BenchmarkAppend(b *testing.B) {
	for _, c := range []struct {
		name     string
		maxBatch int
		par      int
	}{
		{"baseline-one-tx-per-append", 1, 32},
		{"group-commit", 0, 32},
		{"group-commit-8-goroutines", 0, 4},
	} {
		b.Run(fmt.Sprintf("%s/goroutines=%d", c.name, c.par*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			url := filepath.Join(b.TempDir(), "bench.db")
			audittest.BenchAppend(b, url, audit.Options{MaxBatch: c.maxBatch}, c.par)
		})
	}
}

// BenchmarkVerify: verdict audit verify's speed over a 20,000-trace log
// (about 3 KB a trace), in traces per second.
//
//	go test ./audit/sqlite -run '^$' -bench Verify -benchmem
func BenchmarkVerify(b *testing.B) {
	audittest.BenchVerify(b, filepath.Join(b.TempDir(), "bench.db"), 20000)
}
