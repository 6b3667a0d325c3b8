package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/verdicthq/verdict/audit"
)

// insertSQL stores a whole batch of traces and their fired rule ids in one
// statement, from arrays (one element per trace; rules as parallel arrays of
// trace id and rule id). It returns the ids it stored: a missing one was
// already stored (same id, or same key id and idempotency key).
const insertSQL = `WITH ins AS (
	INSERT INTO traces (id, decided_at, session_id, user_id, outcome,
		policy_name, policy_version, key_id, idempotency_key,
		report_status, policy_outcome, tags, context, fired, body, report)
	SELECT id, decided_at, session_id, user_id, outcome, policy_name, policy_version,
		key_id, idempotency_key, report_status, policy_outcome, tags::json, context::json,
		fired::json, body::json, report
	FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
		$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
		$12::text[], $13::text[], $14::text[], $15::text[], $16::bytea[])
		AS v(id, decided_at, session_id, user_id, outcome, policy_name, policy_version,
			key_id, idempotency_key, report_status, policy_outcome, tags, context, fired, body, report)
	ON CONFLICT DO NOTHING
	RETURNING id, decided_at
), rules AS (
	INSERT INTO trace_rules (rule_id, decided_at, trace_id)
	SELECT r.rule_id, ins.decided_at, ins.id
	FROM ins JOIN unnest($17::text[], $18::text[]) AS r(trace_id, rule_id) ON r.trace_id = ins.id
)
SELECT id FROM ins`

// pruneChunk bounds how many rows one prune statement deletes.
const pruneChunk = 5000

// Append stores a trace durably; see audit.Store.
func (s *Store) Append(ctx context.Context, t *audit.Trace) error {
	if s.readOnly {
		return audit.ErrReadOnly
	}
	return s.batch.Append(ctx, t)
}

// commit writes one batch in one transaction of one statement (audit.CommitFunc).
func (s *Store) commit(ctx context.Context, rows []*audit.Row, errs []error) error {
	n := len(rows)
	var (
		ids, sessions, users, outcomes = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		names, versions, keys, bodies  = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		times                          = make([]time.Time, n)
		idems, contexts                = make([]*string, n), make([]*string, n)
		statuses, polOutcomes          = make([]string, n), make([]string, n)
		tags, fired                    = make([]string, n), make([]string, n)
		reports                        = make([][]byte, n)
		ruleTraces, ruleIDs            []string
	)
	for i, r := range rows {
		t := r.Trace
		ids[i], times[i], sessions[i], users[i], outcomes[i] = t.ID, t.DecidedAt, pgText(t.SessionID), pgText(t.UserID), string(t.Outcome)
		names[i], versions[i], keys[i], bodies[i] = pgText(t.Policy.Name), t.Policy.Version, pgText(t.KeyID), string(r.Body)
		if t.IdempotencyKey != "" {
			idems[i] = &t.IdempotencyKey
		}
		statuses[i], polOutcomes[i], tags[i], fired[i] = t.ReportStatus, r.PolicyOutcome, string(r.Tags), string(r.FiredRules)
		if r.Context != nil {
			c := string(r.Context)
			contexts[i] = &c
		}
		reports[i] = r.Report
		if reports[i] == nil {
			reports[i] = []byte{}
		}
		for _, rule := range r.Rules {
			ruleTraces, ruleIDs = append(ruleTraces, t.ID), append(ruleIDs, rule)
		}
	}
	stored := make(map[string]bool, n)
	err := pgx.BeginFunc(ctx, freshBegin{s}, func(tx pgx.Tx) error {
		res, err := tx.Query(ctx, insertSQL, ids, times, sessions, users, outcomes,
			names, versions, keys, idems, statuses, polOutcomes, tags, contexts, fired,
			bodies, reports, ruleTraces, ruleIDs)
		if err != nil {
			return err
		}
		id, err := pgx.CollectRows(res, pgx.RowTo[string])
		for _, v := range id {
			stored[v] = true
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("insert %d traces: %w", n, err)
	}
	seen := make(map[string]bool, n)
	for i, r := range rows {
		t := r.Trace
		// An id stored once in this batch belongs to its first row only.
		if !stored[t.ID] || seen[t.ID] {
			errs[i] = audit.ConflictError(t)
		}
		seen[t.ID] = true
	}
	return nil
}

// freshBegin begins a batch's transaction on a live connection (Store.begin).
type freshBegin struct{ s *Store }

func (b freshBegin) Begin(ctx context.Context) (pgx.Tx, error) { return b.s.begin(ctx) }

// begin starts a transaction, on another connection when the one the pool
// handed out is dead — the server restarted, failed over or cut it (the pool
// pings only connections idle for a second, so the busy ones find out on
// their next statement): nothing of the batch was sent yet, so beginning
// again is safe, and the batch is not failed for a connection that was
// already gone. It tries at most once per pooled connection, and one more.
func (s *Store) begin(ctx context.Context) (pgx.Tx, error) {
	var err error
	for range s.pool.Config().MaxConns + 1 {
		var tx pgx.Tx
		if tx, err = s.pool.Begin(ctx); err == nil {
			return tx, nil
		}
		if !deadConn(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

// deadConn reports whether err says the connection, not the request, failed
// before the transaction began: the server ended the session (SQLSTATE
// class 57: administrator or crash shutdown) or the connection broke before
// anything was sent.
func deadConn(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return pgconn.SafeToRetry(err)
}

// Prune deletes the traces decided before a time, a chunk per statement.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	if s.readOnly {
		return 0, audit.ErrReadOnly
	}
	if _, err := s.deleteChunks(ctx, `DELETE FROM trace_rules WHERE ctid IN
		(SELECT ctid FROM trace_rules WHERE decided_at < $1 LIMIT $2)`, before); err != nil {
		return 0, fmt.Errorf("prune fired rules: %w", err)
	}
	n, err := s.deleteChunks(ctx, `DELETE FROM traces WHERE id IN
		(SELECT id FROM traces WHERE decided_at < $1 LIMIT $2)`, before)
	if err != nil {
		return n, fmt.Errorf("prune traces: %w", err)
	}
	return n, nil
}

func (s *Store) deleteChunks(ctx context.Context, stmt string, before time.Time) (int64, error) {
	return audit.DeleteInChunks(pruneChunk, func() (int64, error) {
		tag, err := s.pool.Exec(ctx, stmt, before, pruneChunk)
		return tag.RowsAffected(), err
	})
}

// pgText makes a string storable in a text column: PostgreSQL refuses the
// NUL character (and with it the whole batch), which a report's user_id may
// hold. NUL becomes U+FFFD in the column, which serves search only; the
// trace's body (JSON, where NUL is escaped) keeps the value exactly.
func pgText(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}
