package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// BenchmarkDecideLoggedPostgres is BenchmarkDecideLogged with the decision
// log in PostgreSQL (a fresh schema of VERDICT_TEST_POSTGRES_URL): each
// answer waits for its trace's commit (synchronous_commit=on). Beside
// cpu-µs/op (this process) it reports pg-cpu-µs/op, the CPU time per
// decision of the PostgreSQL backends serving this benchmark's connections
// (found by application_name, read from /proc: the server runs on this
// machine and shares its cores), so other users of the server do not count.
//
//	VERDICT_TEST_POSTGRES_URL=... go test ./api -run '^$' -bench DecideLoggedPostgres -benchtime 20000x
func BenchmarkDecideLoggedPostgres(b *testing.B) {
	base := audittest.RequirePostgres(b)
	url := audittest.PostgresSchema(b, base)
	app := "verdict-bench-" + strconv.Itoa(os.Getpid())
	// Every connection opened at once (the pool opens its minimum in the
	// background), so the backends measured are the same ones throughout.
	url += "&application_name=" + app + "&pool_min_conns=" + strconv.Itoa(poolConns) + "&pool_max_conns=" + strconv.Itoa(poolConns)
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
	var pids []int
	for deadline := time.Now().Add(30 * time.Second); len(pids) < poolConns; {
		if pids = backendPIDs(b, base, app); time.Now().After(deadline) {
			b.Fatalf("%d of the pool's %d connections opened", len(pids), poolConns)
		}
		time.Sleep(10 * time.Millisecond) // polling the server for its backends, with a deadline
	}
	cpu0, pg0 := audittest.CPUTime(), processCPU(pids)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := serveOnce(handler, decideBody); rec.Code != 200 {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((audittest.CPUTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	if len(backendPIDs(b, base, app)) != len(pids) {
		b.Fatalf("the pool's backends changed during the run: their CPU cannot be summed")
	}
	b.ReportMetric(float64((processCPU(pids)-pg0).Microseconds())/float64(b.N), "pg-cpu-µs/op")
}

// poolConns is the pool's size in BenchmarkDecideLoggedPostgres: the
// default of Open (two writers and two for reads).
const poolConns = 4

// backendPIDs lists the process ids of the PostgreSQL backends whose
// connections carry application_name app.
func backendPIDs(b *testing.B, base, app string) []int {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		b.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid`, app)
	if err != nil {
		b.Fatalf("list backends: %v", err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		b.Fatalf("list backends of %s: %v", app, err)
	}
	return pids
}

// processCPU is the user and system CPU time of the processes pids, read
// from /proc/PID/stat (fields 14 and 15, in USER_HZ = 100 ticks a second).
func processCPU(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		st, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		s := string(st)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // f[0] is field 3
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + k
	}
	return time.Duration(ticks) * (time.Second / 100)
}
