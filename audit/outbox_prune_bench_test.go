package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/postgres"
	"github.com/verdicthq/verdict/internal/audittest"
)

// outboxBenchEvents is how many webhook events BenchmarkPruneOutbox fills
// the outbox with per run; one in a hundred keeps a pending delivery.
const outboxBenchEvents = 20_000

// BenchmarkPruneOutbox: what retention's outbox pass costs
// (LoopSQL.PruneOutbox, 256 events a transaction) on SQLite and, with
// VERDICT_TEST_POSTGRES_URL set, PostgreSQL. The outbox holds
// outboxBenchEvents events of ~450 bytes, each with two deliveries (one
// delivered, one failed or, for one event in a hundred, pending) and one
// attempt each, filled by SQL; all are older than the horizon. Reports
// events/s deleted, and this process's CPU per event (all of SQLite's work;
// for PostgreSQL only the client's). ns/op is per run.
//
//	go test ./audit -run '^$' -bench PruneOutbox -benchtime 1x -count 3
func BenchmarkPruneOutbox(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchPruneOutbox(b, func(b *testing.B) string { return filepath.Join(b.TempDir(), "log.db") }, fillOutboxSQLite)
	})
	b.Run("postgres", func(b *testing.B) {
		base := audittest.RequirePostgres(b)
		benchPruneOutbox(b, func(b *testing.B) string { return audittest.PostgresSchema(b, base) }, fillOutboxPostgres)
	})
}

func benchPruneOutbox(b *testing.B, newURL func(*testing.B) string, fill func(testing.TB, string, int64)) {
	ctx := context.Background()
	t0 := audittest.Base
	for range b.N {
		b.StopTimer()
		url := newURL(b)
		s, err := audit.Open(ctx, url, audit.Options{})
		if err != nil {
			b.Fatal(err)
		}
		fill(b, url, t0.UnixMicro())
		p := s.(audit.OutboxPruner)
		b.StartTimer()
		cpu0, start := benchCPU(), time.Now()
		n, err := p.PruneOutbox(ctx, t0.Add(time.Hour), t0.Add(48*time.Hour))
		wall, cpu := time.Since(start), benchCPU()-cpu0
		b.StopTimer()
		if want := int64(outboxBenchEvents - outboxBenchEvents/100); err != nil || n != want {
			b.Fatalf("pruned %d events, %v; want %d", n, err, want)
		}
		b.ReportMetric(float64(n)/wall.Seconds(), "events/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/event")
		s.Close()
	}
}

func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// outboxFill is the SQL that fills the outbox from a table of numbers x
// (1..outboxBenchEvents, named by NUMBERS): events a millisecond apart from
// ? (unix µs), two deliveries each, an attempt per delivery.
var outboxFill = []string{
	`INSERT INTO webhook_events (event_id, type, decision_id, at, payload, fanned)
		SELECT 'ev-' || x, 'decision.denied', 'dec-' || x, ? + x * 1000, PAYLOAD, 1 FROM NUMBERS`,
	`INSERT INTO webhook_deliveries (event_seq, endpoint, status, attempts, created_at, window_start, next_at, delivered_at, last_error)
		SELECT seq, 'a', 'delivered', 1, at, at, 0, at, '' FROM webhook_events`,
	`INSERT INTO webhook_deliveries (event_seq, endpoint, status, attempts, created_at, window_start, next_at, delivered_at, last_error)
		SELECT seq, 'b', CASE WHEN seq % 100 = 0 THEN 'pending' ELSE 'failed' END, 1, at, at, at, 0, 'HTTP 500' FROM webhook_events`,
	`INSERT INTO webhook_attempts (delivery_id, n, at, status_code, error, millis)
		SELECT id, 1, created_at, CASE WHEN endpoint = 'a' THEN 200 ELSE 500 END, '', 12.5 FROM webhook_deliveries`,
}

const benchPayload = `'{"id":"01a233dd-9f18-752d-a9e1-e9e3eea7396f","type":"decision.denied","created_at":"2026-11-01T12:00:02Z","decision_id":"01a233dd-9f18-716f-b2ac-76f44f5f9a9b","data":{"outcome":"deny","policy":{"name":"checkout","version":"5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},"session_id":"sess-1","user_id":"user-3","rules":["big-basket-automation","very-high-risk"]}}'`

func outboxFillSQL(numbers string) []string {
	out := make([]string, len(outboxFill))
	for i, q := range outboxFill {
		q = strings.ReplaceAll(q, "PAYLOAD", benchPayload)
		out[i] = strings.ReplaceAll(q, "NUMBERS", numbers)
	}
	return out
}

func fillOutboxSQLite(tb testing.TB, url string, t0 int64) {
	db, err := sql.Open("sqlite", url)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	numbers := `(WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ` + fmt.Sprint(outboxBenchEvents) + `) SELECT x FROM n)`
	for i, q := range outboxFillSQL(numbers) {
		var args []any
		if i == 0 {
			args = []any{t0}
		}
		if _, err := db.Exec(q, args...); err != nil {
			tb.Fatalf("fill: %v\n%s", err, q)
		}
	}
	if _, err := db.Exec(`ANALYZE`); err != nil {
		tb.Fatal(err)
	}
}

func fillOutboxPostgres(tb testing.TB, url string, t0 int64) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	numbers := `generate_series(1, ` + fmt.Sprint(outboxBenchEvents) + `) AS n(x)`
	for i, q := range outboxFillSQL(numbers) {
		var args []any
		if i == 0 {
			q = strings.ReplaceAll(q, "?", "$1::bigint")
			args = []any{t0}
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			tb.Fatalf("fill: %v\n%s", err, q)
		}
	}
	for _, q := range []string{`VACUUM ANALYZE webhook_events`, `VACUUM ANALYZE webhook_deliveries`, `VACUUM ANALYZE webhook_attempts`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			tb.Fatal(err)
		}
	}
}
