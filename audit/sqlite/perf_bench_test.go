package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// BenchmarkRulePerformance: the one pass of GET /v1/rules/performance over
// 1,000,000 decisions and 50,000 labels (VERDICT_BENCH_DECISIONS,
// VERDICT_BENCH_LABELS change the sizes), beside the export-and-decode
// baseline on the same file. Seeding takes minutes; the file is kept in
// VERDICT_BENCH_DIR when that is set, and reused.
//
//	go test ./audit/sqlite -run '^$' -bench RulePerformance -benchtime 3x -timeout 60m
func BenchmarkRulePerformance(b *testing.B) {
	p := audittest.PerfLog{Decisions: envInt("VERDICT_BENCH_DECISIONS", 1_000_000), Labels: envInt("VERDICT_BENCH_LABELS", 50_000)}
	dir := os.Getenv("VERDICT_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, "perf-"+strconv.Itoa(p.Decisions)+"-"+strconv.Itoa(p.Labels)+".db")
	if _, err := os.Stat(path); err != nil {
		audittest.SeedPerfLog(b, path, p)
	}
	audittest.BenchPerformance(b, path)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkAppendPerfIndex: what the traces_perf index (the rule
// performance pass's covering index) costs durable appends — group commit
// with it, beside the same log with it dropped, in the same run.
//
//	go test ./audit/sqlite -run '^$' -bench AppendPerfIndex -benchtime 3s -count 2
func BenchmarkAppendPerfIndex(b *testing.B) {
	for _, drop := range []bool{false, true} {
		name := "with-traces_perf"
		if drop {
			name = "baseline-without-traces_perf"
		}
		b.Run(name, func(b *testing.B) {
			url := filepath.Join(b.TempDir(), "bench.db")
			s := audittest.MustOpen(b, url, audit.Options{})
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			if drop {
				db, err := sql.Open("sqlite", url)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.Exec(`DROP INDEX traces_perf`); err != nil {
					b.Fatal(err)
				}
				db.Close()
			}
			audittest.BenchAppend(b, url, audit.Options{}, 32)
		})
	}
}
