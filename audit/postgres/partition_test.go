package postgres

import (
	"context"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// idAt is a UUIDv7 id whose time is at, as audit.NewID makes at that time.
func idAt(t *testing.T, at time.Time) string {
	t.Helper()
	u, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	ms := at.UnixMilli()
	for i := 5; i >= 0; i-- {
		u[i] = byte(ms)
		ms >>= 8
	}
	return u.String()
}

// TestPartitions: traces land in their day's partition, retention drops
// the days before its cutoff whole and the chain still verifies; a day
// holding a trace its chain keeps (committed after a later-decided one) is
// not dropped.
func TestPartitions(t *testing.T) {
	ctx := context.Background()
	tomorrow := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	day := func(n int) time.Time { return tomorrow.AddDate(0, 0, n-1).Add(10 * time.Hour) } // 10:00 on day n after today
	partitionOf := func(t *testing.T, s *Store, id string) string {
		t.Helper()
		var name string
		if err := s.pool.QueryRow(ctx, `SELECT tableoid::regclass::text FROM traces WHERE id = $1`, id).Scan(&name); err != nil {
			t.Fatalf("find %s: %v", id, err)
		}
		return name
	}
	appendAt := func(t *testing.T, s *Store, i int, at time.Time) *audit.Trace {
		t.Helper()
		tr := audittest.SampleTraceWithID(i, idAt(t, at))
		tr.DecidedAt = at
		if err := s.Append(ctx, tr); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		return tr
	}
	verify := func(t *testing.T, s *Store, want int64) {
		t.Helper()
		res, err := audit.Verify(ctx, s, audit.VerifyOptions{})
		if err != nil || res.Break != nil || res.Verified != want {
			t.Fatalf("verify: %+v, %v (break %v); want %d verified", res, err, res.Break, want)
		}
	}
	t.Run("days dropped whole", func(t *testing.T) {
		s, err := Open(ctx, audittest.PostgresSchema(t, audittest.RequirePostgres(t)), audit.Options{Writers: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var kept []*audit.Trace
		for i, n := range []int{1, 1, 1, 2, 2, 2, 3, 3} {
			tr := appendAt(t, s, i, day(n))
			if want := "traces_p" + day(n).Format("20060102"); partitionOf(t, s, tr.ID) != want {
				t.Errorf("trace of day %d in %s, want %s", n, partitionOf(t, s, tr.ID), want)
			}
			if n == 3 {
				kept = append(kept, tr)
			}
		}
		var lz4 bool
		var method string
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)),
			(SELECT attcompression::text FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'body')`,
			partitionOf(t, s, kept[0].ID)).Scan(&lz4, &method); err != nil {
			t.Fatal(err)
		}
		if lz4 && method != "l" {
			t.Errorf("a day partition's body has compression %q, want l (lz4, schema 6, set on the parent)", method)
		}
		removed, err := s.Prune(ctx, day(3).Truncate(24*time.Hour))
		if err != nil || removed != 6 {
			t.Fatalf("prune: %d removed, %v; want 6", removed, err)
		}
		var left int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname IN ($1, $2, 'traces_legacy')
			AND relnamespace = current_schema()::regnamespace`,
			"traces_p"+day(1).Format("20060102"), "traces_p"+day(2).Format("20060102")).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d of the three partitions before the cutoff are still there", left)
		}
		for _, tr := range kept {
			if _, err := s.Get(ctx, tr.ID); err != nil {
				t.Errorf("kept trace %s: %v", tr.ID, err)
			}
		}
		verify(t, s, 2)
	})
	t.Run("a day its chain still needs stays", func(t *testing.T) {
		s, err := Open(ctx, audittest.PostgresSchema(t, audittest.RequirePostgres(t)), audit.Options{Writers: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		appendAt(t, s, 0, day(3))
		late := appendAt(t, s, 1, day(1)) // decided before the cutoff, after a kept trace in the chain
		removed, err := s.Prune(ctx, day(3).Truncate(24*time.Hour))
		if err != nil || removed != 0 {
			t.Fatalf("prune: %d removed, %v; want 0", removed, err)
		}
		if _, err := s.Get(ctx, late.ID); err != nil {
			t.Errorf("the trace its chain keeps: %v", err)
		}
		verify(t, s, 2)
	})
}

// TestPartitionsWithoutCreate: a store whose role loses the right to
// create tables (CREATE on the schema, which opening needs: migrations)
// still writes when its day partitions cannot be made: the trace goes to
// the default partition and reads back.
func TestPartitionsWithoutCreate(t *testing.T) {
	ctx := context.Background()
	url := audittest.PostgresSchema(t, audittest.RequirePostgres(t))
	owner, err := Open(ctx, url, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	owner.Close()
	role := "verdict_test_writer_" + strings.ReplaceAll(audit.NewID()[24:], "-", "")
	audittest.PostgresExec(t, url, `CREATE ROLE `+role+` LOGIN`,
		`GRANT USAGE, CREATE ON SCHEMA `+schemaOf(t, url)+` TO `+role,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA `+schemaOf(t, url)+` TO `+role)
	t.Cleanup(func() { audittest.PostgresExec(t, url, `DROP OWNED BY `+role, `DROP ROLE `+role) })
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.User(role)
	s, err := Open(ctx, u.String(), audit.Options{Writers: 1})
	if err != nil {
		t.Fatalf("open as %s: %v", role, err)
	}
	defer s.Close()
	audittest.PostgresExec(t, url, `REVOKE CREATE ON SCHEMA `+schemaOf(t, url)+` FROM `+role)
	far := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, partitionsAhead+3)
	if err := s.ensurePartitions(ctx, far); err == nil {
		t.Fatal("a role without CREATE made partitions")
	}
	tr := audittest.SampleTraceWithID(1, idAt(t, far.Add(time.Hour)))
	tr.DecidedAt = far.Add(time.Hour)
	if err := s.Append(ctx, tr); err != nil {
		t.Fatalf("append with no partition for its day: %v", err)
	}
	var part string
	if err := s.pool.QueryRow(ctx, `SELECT tableoid::regclass::text FROM traces WHERE id = $1`, tr.ID).Scan(&part); err != nil || part != "traces_default" {
		t.Errorf("stored in %q (%v), want traces_default", part, err)
	}
	if _, err := s.Get(ctx, tr.ID); err != nil {
		t.Errorf("read back: %v", err)
	}
	// a commit that has to make a day partition, and cannot, still commits
	audittest.PostgresExec(t, url, `DELETE FROM trace_partitions WHERE until = (SELECT MAX(until) FROM trace_partitions)`)
	s.partitionedUntil.Store(nil)
	s.partitionRetry.Store(0)
	if err := s.Append(ctx, audittest.SampleTrace(2)); err != nil {
		t.Fatalf("append while the day partitions cannot be made: %v", err)
	}
	if s.partitionRetry.Load() == 0 {
		t.Error("the commit did not try to make the partitions")
	}
}

// schemaOf is the search_path a test URL names.
func schemaOf(t *testing.T, url string) string {
	t.Helper()
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("search_path")
}
