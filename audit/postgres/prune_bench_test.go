package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// pruneRows is how many traces BenchmarkPrune removes per run.
const pruneRows = 100_000

// BenchmarkPrune: what retention costs by deleting rows (Store.Prune, a
// chunk of 5,000 per statement, traces and their fired-rule rows) against
// dropping a table holding the same rows (what a time partition's
// retention costs), for pruneRows traces shaped like SampleTrace (its
// columns, indexes and fired rules, copied by SQL with new ids, times and
// seqs in one chain). Reports rows/s of each; ns/op is per run.
//
//	VERDICT_TEST_POSTGRES_URL=... go test ./audit/postgres -run '^$' -bench Prune -benchtime 1x -count 2
func BenchmarkPrune(b *testing.B) {
	b.Run("rows", benchPruneRows)
	b.Run("partition", benchPrunePartition)
}

func benchPruneRows(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		url := newSchema(b)
		s, err := audit.Open(ctx, url, audit.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		tr := audittest.SampleTrace(1)
		tr.DecidedAt = t0
		if err := s.Append(ctx, tr); err != nil {
			b.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		fill(b, conn, "traces", "trace_rules", tr.ID)
		if _, err := conn.Exec(ctx, `CREATE TABLE part_traces (LIKE traces INCLUDING ALL);
			CREATE TABLE part_rules (LIKE trace_rules INCLUDING ALL)`); err != nil {
			b.Fatal(err)
		}
		fill(b, conn, "part_traces", "part_rules", tr.ID)
		for _, stmt := range []string{`INSERT INTO part_traces SELECT * FROM traces WHERE id = $1`,
			`INSERT INTO part_rules SELECT * FROM trace_rules WHERE trace_id = $1`} {
			if _, err := conn.Exec(ctx, stmt, tr.ID); err != nil {
				b.Fatal(err)
			}
		}
		for _, stmt := range []string{`VACUUM ANALYZE traces`, `VACUUM ANALYZE trace_rules`, `CHECKPOINT`} {
			if _, err := conn.Exec(ctx, stmt); err != nil {
				b.Fatal(err)
			}
		}

		b.StartTimer()
		start := time.Now()
		n, err := s.Prune(ctx, t0.Add(time.Duration(pruneRows+1)*time.Millisecond)) // every trace
		pruned := time.Since(start)
		if err != nil || n != pruneRows+1 {
			b.Fatalf("pruned %d of %d: %v", n, pruneRows+1, err)
		}
		start = time.Now()
		if _, err := conn.Exec(ctx, `DROP TABLE part_traces, part_rules`); err != nil {
			b.Fatal(err)
		}
		dropped := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(n)/pruned.Seconds(), "prune-rows/s")
		b.ReportMetric(float64(n)/dropped.Seconds(), "drop-rows/s")
		b.ReportMetric(float64(dropped.Microseconds())/1000, "drop-ms")
		conn.Close(ctx)
		s.Close()
	}
}

// fill copies the trace id (and its fired-rule rows) pruneRows times into
// the tables named, one millisecond apart, continuing its chain.
func fill(b *testing.B, conn *pgx.Conn, traces, rules, id string) {
	b.Helper()
	ctx := context.Background()
	q := fmt.Sprintf(`INSERT INTO %[1]s (id, decided_at, session_id, user_id, outcome, policy_name, policy_version,
		key_id, idempotency_key, report_status, policy_outcome, tags, context, fired, body, report, chain, seq, prev_hash, hash, id_time)
		SELECT t.id || '-' || g, t.decided_at + g * interval '1 millisecond', t.session_id, t.user_id, t.outcome,
			t.policy_name, t.policy_version, t.key_id, NULL, t.report_status, t.policy_outcome, t.tags, t.context,
			t.fired, t.body, t.report, t.chain, t.seq + g, t.hash, t.hash, t.id_time
		FROM traces t, generate_series(1, %[3]d) g WHERE t.id = $1
		%[4]s INSERT INTO %[2]s (rule_id, decided_at, trace_id, id_time)
		SELECT r.rule_id, r.decided_at + g * interval '1 millisecond', r.trace_id || '-' || g, r.id_time
		FROM trace_rules r, generate_series(1, %[3]d) g WHERE r.trace_id = $1`, traces, rules, pruneRows, ";")
	for _, stmt := range strings.Split(q, ";") {
		if _, err := conn.Exec(ctx, stmt, id); err != nil {
			b.Fatalf("fill %s: %v", traces, err)
		}
	}
}

// benchPrunePartition times Prune of pruneRows traces that fill a day
// partition: it checks the chains, counts and drops the partition.
func benchPrunePartition(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		url := newSchema(b)
		s, err := audit.Open(ctx, url, audit.Options{})
		if err != nil {
			b.Fatal(err)
		}
		day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 2) // a day partition after the legacy one
		tr := audittest.SampleTrace(1)
		tr.DecidedAt = day
		u, err := uuid.NewV7()
		if err != nil {
			b.Fatal(err)
		}
		ms := day.UnixMilli()
		for i := 5; i >= 0; i-- {
			u[i] = byte(ms)
			ms >>= 8
		}
		tr.ID = u.String()
		if err := s.Append(ctx, tr); err != nil {
			b.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		fill(b, conn, "traces", "trace_rules", tr.ID) // copies keep the id's day: the same partition
		for _, stmt := range []string{`VACUUM ANALYZE traces`, `VACUUM ANALYZE trace_rules`, `CHECKPOINT`} {
			if _, err := conn.Exec(ctx, stmt); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		n, err := s.Prune(ctx, day.AddDate(0, 0, 1))
		pruned := time.Since(start)
		if err != nil || n != pruneRows+1 {
			b.Fatalf("pruned %d of %d: %v", n, pruneRows+1, err)
		}
		b.StopTimer()
		var left int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace`,
			"traces_p"+day.Format("20060102")).Scan(&left); err != nil || left != 0 {
			b.Fatalf("the day partition is still there (%d, %v)", left, err)
		}
		b.ReportMetric(float64(n)/pruned.Seconds(), "prune-rows/s")
		b.ReportMetric(float64(pruned.Microseconds())/1000, "prune-ms")
		conn.Close(ctx)
		s.Close()
	}
}
