package sqlite

import (
	"context"
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// updateFixture rewrites audit/testdata/sqlite-v1.db from FixtureTraces:
//
//	go test ./audit/sqlite -run TestV1Fixture -update-fixture
var updateFixture = flag.Bool("update-fixture", false, "rewrite audit/testdata/sqlite-v1.db (a log in schema version 1)")

// v1Fixture is a decision log written in schema version 1 (main before the
// decision log v2), kept so every later version is tested upgrading it.
const v1Fixture = "../testdata/sqlite-v1.db"

// v1InsertTrace and v1InsertRule are schema version 1's writes, frozen here:
// the store's own statements follow the newest schema.
const (
	v1InsertTrace = `INSERT INTO traces (id, decided_at, session_id, user_id, outcome,
	policy_name, policy_version, key_id, idempotency_key,
	report_status, policy_outcome, tags, context, fired, body, report)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	v1InsertRule = `INSERT INTO trace_rules (rule_id, decided_at, trace_id) VALUES (?, ?, ?)`
)

// writeV1Log writes audittest.FixtureTraces into a new file at path as
// schema version 1 stored them: migration 1 alone, its insert statements.
func writeV1Log(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := append([]string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`},
		migrations[0].Stmts...)
	stmts = append(stmts, `INSERT INTO schema_migrations VALUES (1, '2026-11-30T00:00:00Z')`)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("v1 schema: %v", err)
		}
	}
	for _, tr := range audittest.FixtureTraces() {
		r, err := audit.EncodeRow(tr, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var idem, cx any
		if tr.IdempotencyKey != "" {
			idem = tr.IdempotencyKey
		}
		if r.Context != nil {
			cx = string(r.Context)
		}
		report := r.Report
		if report == nil {
			report = []byte{}
		}
		micros := tr.DecidedAt.UnixMicro()
		if _, err := db.ExecContext(ctx, v1InsertTrace, tr.ID, micros, tr.SessionID, tr.UserID, string(tr.Outcome),
			tr.Policy.Name, tr.Policy.Version, tr.KeyID, idem, tr.ReportStatus, r.PolicyOutcome,
			string(r.Tags), cx, string(r.FiredRules), r.Body, report); err != nil {
			t.Fatalf("v1 insert %s: %v", tr.ID, err)
		}
		for _, rule := range r.Rules {
			if _, err := db.ExecContext(ctx, v1InsertRule, rule, micros, tr.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `PRAGMA journal_mode=DELETE`); err != nil {
		t.Fatal(err)
	}
}

// TestV1Fixture is the fixture's generator: it writes a version-1 log and
// checks that the committed fixture holds the same traces (with
// -update-fixture it replaces the fixture).
func TestV1Fixture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	writeV1Log(t, path)
	if *updateFixture {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(v1Fixture, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(p string) []string {
		db, err := sql.Open("sqlite", dsn(p, true))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(`SELECT id FROM traces ORDER BY decided_at, id`)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	got, want := ids(v1Fixture), ids(path)
	if len(want) != len(audittest.FixtureTraces()) || len(got) != len(want) {
		t.Fatalf("fixture holds %d traces, the generator writes %d (run with -update-fixture)", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fixture trace %d is %s, the generator writes %s (run with -update-fixture)", i, got[i], want[i])
		}
	}
}
