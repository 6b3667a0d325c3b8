package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// v6Insert is schema version 6's write of one trace, frozen here.
const v6Insert = `INSERT INTO traces (id, decided_at, session_id, user_id, outcome, policy_name, policy_version,
	key_id, idempotency_key, report_status, policy_outcome, tags, context, fired, body, report, chain, seq, prev_hash, hash)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::json, $13::json, $14::json, $15::json, $16, $17, $18, $19, $20)`

// writeV6Log writes audittest.FixtureTraces, chained, into the schema at
// url as schema version 6 (before partitions) stored them.
func writeV6Log(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations {
		if m.Version > 6 {
			continue
		}
		for _, stmt := range m.Stmts {
			if _, err := conn.Exec(ctx, stmt); err != nil {
				t.Fatalf("schema %d: %v", m.Version, err)
			}
		}
		if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version); err != nil {
			t.Fatal(err)
		}
	}
	h, prev := audit.NewChainHasher(), audit.ZeroHash
	for i, tr := range audittest.FixtureTraces() {
		r, err := audit.EncodeRow(tr, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		cr := audit.ChainRowOf(r, pgText)
		cr.Chain, cr.Seq = "v6/writer/0", int64(i+1)
		hash := append([]byte(nil), h.Hash(prev, &cr)...)
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
		if _, err := conn.Exec(ctx, v6Insert, tr.ID, tr.DecidedAt, pgText(tr.SessionID), pgText(tr.UserID), string(tr.Outcome),
			pgText(tr.Policy.Name), tr.Policy.Version, pgText(tr.KeyID), idem, tr.ReportStatus, r.PolicyOutcome,
			string(r.Tags), cx, string(r.FiredRules), string(r.Body), report, cr.Chain, cr.Seq, prev, hash); err != nil {
			t.Fatalf("v6 insert %s: %v", tr.ID, err)
		}
		for _, rule := range r.Rules {
			if _, err := conn.Exec(ctx, `INSERT INTO trace_rules (rule_id, decided_at, trace_id) VALUES ($1, $2, $3)`, rule, tr.DecidedAt, tr.ID); err != nil {
				t.Fatal(err)
			}
		}
		prev = hash
	}
}

// TestUpgradeFromV6: a log written by the schema before partitions (main
// before schema 7) is partitioned in place at open: every trace reads back,
// its idempotency keys still refuse a second decision, a known id is still
// refused, the chain verifies across the upgrade, and retention removes the
// old traces.
func TestUpgradeFromV6(t *testing.T) {
	url := audittest.PostgresSchema(t, audittest.RequirePostgres(t))
	writeV6Log(t, url)
	ctx := context.Background()
	s, err := Open(ctx, url, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := audittest.FixtureTraces()
	audittest.AssertStored(t, s, want)
	if got, err := s.FindIdempotent(ctx, want[4].KeyID, want[4].IdempotencyKey); err != nil || got.ID != want[4].ID {
		t.Fatalf("find idempotent: %v, %v", got, err)
	}
	again := audittest.SampleTrace(41)
	again.KeyID, again.IdempotencyKey = want[4].KeyID, want[4].IdempotencyKey
	if err := s.Append(ctx, again); !errors.Is(err, audit.ErrConflict) {
		t.Errorf("a new decision under an idempotency key stored before the upgrade: %v, want a conflict", err)
	}
	known := audittest.SampleTraceWithID(42, want[0].ID)
	if err := s.Append(ctx, known); !errors.Is(err, audit.ErrConflict) {
		t.Errorf("a trace with an id stored before the upgrade: %v, want a conflict", err)
	}
	audittest.MustAppend(t, s, audittest.SampleTrace(40))
	res, err := audit.Verify(ctx, s, audit.VerifyOptions{})
	if err != nil || res.Break != nil || res.Verified != int64(len(want))+1 || res.Legacy != 0 {
		t.Fatalf("verify of the upgraded log: %+v (break %v), %v", res, res.Break, err)
	}
	if n, err := s.Prune(ctx, audittest.Base.Add(6*time.Second)); err != nil || n != 6 {
		t.Fatalf("prune of the old traces: %d, %v; want 6", n, err)
	}
	if res, err := audit.Verify(ctx, s, audit.VerifyOptions{}); err != nil || res.Break != nil {
		t.Fatalf("verify after retention: %+v (break %v), %v", res, res.Break, err)
	}
}
