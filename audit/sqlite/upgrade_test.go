package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/internal/audittest"
)

// copyFixture copies a committed log into a temporary folder, so a test may
// upgrade it.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	path := filepath.Join(t.TempDir(), "verdict.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUpgradeFromV1: a log written by schema version 1 opens with this
// build, is migrated in place, and every trace reads back as it was written,
// by id, by export, by idempotency key and by the search filters; new traces
// append after the old ones.
func TestUpgradeFromV1(t *testing.T) {
	path := copyFixture(t, "sqlite-v1.db")
	ctx := context.Background()
	s := audittest.MustOpen(t, path, audit.Options{})
	want := audittest.FixtureTraces()
	audittest.AssertStored(t, s, want)
	var n int
	if err := s.Export(ctx, audittest.Base.Add(-1), audittest.Base.Add(1e12), func(tr *audit.Trace) error {
		audittest.AssertSame(t, tr, want[n])
		n++
		return nil
	}); err != nil || n != len(want) {
		t.Fatalf("export of the upgraded log: %d traces, %v; want %d", n, err, len(want))
	}
	if got, err := s.FindIdempotent(ctx, want[4].KeyID, want[4].IdempotencyKey); err != nil || got.ID != want[4].ID {
		t.Fatalf("find idempotent in the upgraded log: %v, %v", got, err)
	}
	page, err := s.Query(ctx, audit.Filter{Rule: "bot-behind-anonymizer", Limit: 100})
	if err != nil || len(page.Traces) == 0 {
		t.Fatalf("query by rule in the upgraded log: %d traces, %v", len(page.Traces), err)
	}
	next := audittest.SampleTrace(20)
	audittest.MustAppend(t, s, next)
	if _, err := s.Get(ctx, next.ID); err != nil {
		t.Fatalf("a trace appended after the upgrade: %v", err)
	}
	res, err := audit.Verify(ctx, s.(audit.CheckpointLog), audit.VerifyOptions{})
	if err != nil || res.Break != nil || res.Legacy != int64(len(want)) || res.Verified != 1 {
		t.Fatalf("verify of the upgraded log: %+v, %v; want %d traces from before the chain and 1 verified", res, err, len(want))
	}
}

// TestNewerSchemaRefused: a log whose schema is newer than this build knows
// is refused, read-write and read-only, with a message that says so, and is
// left as it was.
func TestNewerSchemaRefused(t *testing.T) {
	path := copyFixture(t, "sqlite-v1.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (999, '2027-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, ro := range []bool{false, true} {
		_, err := sqlite.Open(context.Background(), path, audit.Options{ReadOnly: ro})
		if err == nil || !strings.Contains(err.Error(), "999") || !strings.Contains(err.Error(), "newer") {
			t.Errorf("open (read-only %v) of a schema-999 log: %v; want a refusal naming version 999 as newer", ro, err)
		}
	}
}

// TestReadOnlyOpenOfOlderSchema: a read-only open (which never migrates) of
// a log in an older schema says how to upgrade it.
func TestReadOnlyOpenOfOlderSchema(t *testing.T) {
	path := copyFixture(t, "sqlite-v1.db")
	s, err := sqlite.Open(context.Background(), path, audit.Options{ReadOnly: true})
	if err == nil {
		defer s.Close()
	}
	if sqlite.SchemaVersion() == 1 {
		if err != nil {
			t.Fatalf("read-only open of a current log: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("read-only open of a version-1 log: %v; want a message on how to upgrade", err)
	}
}

// TestUpgradeKeepsOtherIndexes: an index another migration put on traces
// (as the lists or review features may) survives schema 2's rebuild of the
// table.
func TestUpgradeKeepsOtherIndexes(t *testing.T) {
	path := copyFixture(t, "sqlite-v1.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE INDEX traces_key_time ON traces (key_id, decided_at)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := audittest.MustOpen(t, path, audit.Options{})
	s.Close()
	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'traces_key_time' AND tbl_name = 'traces'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the other index after the upgrade: %d, %v", n, err)
	}
}
