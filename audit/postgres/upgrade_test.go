package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// v1Insert is schema version 1's write, frozen here (the store's own
// statement follows the newest schema).
const v1Insert = `INSERT INTO traces (id, decided_at, session_id, user_id, outcome, policy_name, policy_version,
	key_id, idempotency_key, report_status, policy_outcome, tags, context, fired, body, report)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::json, $13::json, $14::json, $15::json, $16)`

// writeV1Log writes audittest.FixtureTraces into the schema at url as
// schema version 1 stored them: migration 1 alone, its insert.
func writeV1Log(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	stmts := append([]string{`CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`},
		migrations[0].Stmts...)
	stmts = append(stmts, `INSERT INTO schema_migrations (version) VALUES (1)`)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("v1 schema: %v", err)
		}
	}
	for _, tr := range audittest.FixtureTraces() {
		r, err := audit.EncodeRow(tr, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var idem, cx *string
		if tr.IdempotencyKey != "" {
			idem = &tr.IdempotencyKey
		}
		if r.Context != nil {
			c := string(r.Context)
			cx = &c
		}
		report := r.Report
		if report == nil {
			report = []byte{}
		}
		if _, err := conn.Exec(ctx, v1Insert, tr.ID, tr.DecidedAt, tr.SessionID, tr.UserID, string(tr.Outcome),
			tr.Policy.Name, tr.Policy.Version, tr.KeyID, idem, tr.ReportStatus, r.PolicyOutcome,
			string(r.Tags), cx, string(r.FiredRules), string(r.Body), report); err != nil {
			t.Fatalf("v1 insert %s: %v", tr.ID, err)
		}
	}
}

// TestUpgradeFromV1: a PostgreSQL log written by schema version 1 is
// migrated in place at open; every trace reads back as written, new traces
// are chained after them, verify counts the old ones apart, and retention
// removes old ones by time.
func TestUpgradeFromV1(t *testing.T) {
	url := audittest.PostgresSchema(t, audittest.RequirePostgres(t))
	writeV1Log(t, url)
	ctx := context.Background()
	s := audittest.MustOpen(t, url, audit.Options{})
	want := audittest.FixtureTraces()
	audittest.AssertStored(t, s, want)
	if got, err := s.FindIdempotent(ctx, want[4].KeyID, want[4].IdempotencyKey); err != nil || got.ID != want[4].ID {
		t.Fatalf("find idempotent: %v, %v", got, err)
	}
	audittest.MustAppend(t, s, audittest.SampleTrace(40))
	res, err := audit.Verify(ctx, s.(audit.CheckpointLog), audit.VerifyOptions{})
	if err != nil || res.Break != nil || res.Legacy != int64(len(want)) || res.Verified != 1 {
		t.Fatalf("verify of the upgraded log: %+v (break %v), %v", res, res.Break, err)
	}
	if n, err := s.Prune(ctx, audittest.Base.Add(6*time.Second)); err != nil || n != 6 {
		t.Fatalf("prune of the old traces: %d, %v; want 6", n, err)
	}
	// a newer schema is refused
	audittest.PostgresExec(t, url, `INSERT INTO schema_migrations (version) VALUES (999)`)
	for _, ro := range []bool{false, true} {
		_, err := Open(ctx, url, audit.Options{ReadOnly: ro})
		if err == nil || !strings.Contains(err.Error(), "999") || !strings.Contains(err.Error(), "newer") {
			t.Errorf("open (read-only %v) of a schema-999 log: %v", ro, err)
		}
	}
}
