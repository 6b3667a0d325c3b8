package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// BenchmarkDecideLoggedPostgres is BenchmarkDecideLogged with the decision
// log in PostgreSQL (a fresh schema of VERDICT_TEST_POSTGRES_URL): each
// answer waits for its trace's commit (synchronous_commit=on). Beside
// cpu-µs/op (this process) it reports pg-cpu-µs/op, the CPU time of the
// PostgreSQL server's processes on this machine per decision, read from
// /proc: the server shares the cores, so its cost is part of a decision's.
//
//	VERDICT_TEST_POSTGRES_URL=... go test ./api -run '^$' -bench DecideLoggedPostgres -benchtime 20000x
func BenchmarkDecideLoggedPostgres(b *testing.B) {
	url := audittest.PostgresSchema(b, audittest.RequirePostgres(b))
	s, err := audit.Open(context.Background(), url, audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	o := harnessOpts{rules: "testdata/rules", reports: "testdata/reports", cacheTTL: time.Hour, quiet: true, log: s}
	handler := newHarness(b, o).server.Handler()
	if rec := serveOnce(handler, decideBody); rec.Code != 200 {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.SetParallelism(16) // as BenchmarkDecideLogged
	b.ResetTimer()
	cpu0, pg0 := cpuTime(), postgresCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := serveOnce(handler, decideBody); rec.Code != 200 {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	if pg0 >= 0 {
		b.ReportMetric(float64((postgresCPU()-pg0).Microseconds())/float64(b.N), "pg-cpu-µs/op")
	}
}

// postgresCPU is the user and system CPU time of the processes named
// postgres on this machine (the server and its backends), or -1 when /proc
// cannot say. Backends that exit between two readings take theirs along,
// so the pool's connections must outlive the measurement.
func postgresCPU() time.Duration {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return -1
	}
	var ticks int64
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(st)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != "postgres" {
			continue
		}
		f := strings.Fields(s[end+1:]) // f[0] is the state (field 3); utime, stime are fields 14, 15
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + k
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}
