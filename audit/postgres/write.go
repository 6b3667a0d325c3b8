package postgres

import (
	"context"
	"encoding/hex"
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
		report_status, policy_outcome, tags, context, fired, body, report, chain, seq, prev_hash, hash)
	SELECT id, decided_at, session_id, user_id, outcome, policy_name, policy_version,
		key_id, idempotency_key, report_status, policy_outcome, tags::json, context::json,
		fired::json, body::json, report, $19, seq, prev_hash, hash
	FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
		$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
		$12::text[], $13::text[], $14::text[], $15::text[], $16::bytea[],
		$20::int8[], $21::bytea[], $22::bytea[])
		AS v(id, decided_at, session_id, user_id, outcome, policy_name, policy_version,
			key_id, idempotency_key, report_status, policy_outcome, tags, context, fired, body, report,
			seq, prev_hash, hash)
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

// chainHead is the head of one writer's chain: its name, last seq and hash.
type chainHead struct {
	name string
	seq  int64
	hash []byte
	h    *audit.ChainHasher
}

// errRedo rolls back a batch in which some rows were refused (a known id or
// idempotency key): it is written again without them, so refused rows take
// no place in the chain.
var errRedo = errors.New("redo without the refused rows")

// commit writes one batch in one transaction of one statement
// (audit.CommitFunc), chained onto the head of a chain no other writer holds.
func (s *Store) commit(ctx context.Context, rows []*audit.Row, errs []error) error {
	head := <-s.heads
	defer func() { s.heads <- head }()
	live := make([]int, len(rows)) // indexes into rows still to write
	for i := range live {
		live[i] = i
	}
	for len(live) > 0 {
		refused, seq, hash, err := s.insert(ctx, head, rows, live)
		if err != nil {
			return err
		}
		if len(refused) == 0 {
			head.seq, head.hash = seq, hash
			return nil
		}
		next := live[:0]
		for _, i := range live {
			if refused[i] {
				errs[i] = audit.ConflictError(rows[i].Trace)
			} else {
				next = append(next, i)
			}
		}
		live = next
	}
	return nil
}

// insert writes rows[live] after head; it returns the rows refused (then
// nothing is written) or the new head's seq and hash.
func (s *Store) insert(ctx context.Context, head *chainHead, rows []*audit.Row, live []int) (map[int]bool, int64, []byte, error) {
	n := len(live)
	var (
		ids, sessions, users, outcomes = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		names, versions, keys, bodies  = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		times                          = make([]time.Time, n)
		idems, contexts                = make([]*string, n), make([]*string, n)
		statuses, polOutcomes          = make([]string, n), make([]string, n)
		tags, fired                    = make([]string, n), make([]string, n)
		reports                        = make([][]byte, n)
		seqs                           = make([]int64, n)
		prevs, hashes                  = make([][]byte, n), make([][]byte, n)
		ruleTraces, ruleIDs            []string
	)
	seq, prev := head.seq, head.hash
	for j, i := range live {
		r := rows[i]
		t := r.Trace
		ids[j], times[j], sessions[j], users[j], outcomes[j] = t.ID, t.DecidedAt, pgText(t.SessionID), pgText(t.UserID), string(t.Outcome)
		names[j], versions[j], keys[j], bodies[j] = pgText(t.Policy.Name), t.Policy.Version, pgText(t.KeyID), string(r.Body)
		if t.IdempotencyKey != "" {
			idems[j] = &t.IdempotencyKey
		}
		statuses[j], polOutcomes[j], tags[j], fired[j] = t.ReportStatus, r.PolicyOutcome, string(r.Tags), string(r.FiredRules)
		if r.Context != nil {
			c := string(r.Context)
			contexts[j] = &c
		}
		reports[j] = r.Report
		if reports[j] == nil {
			reports[j] = []byte{}
		}
		cr := audit.ChainRowOf(r, pgText)
		cr.Chain, cr.Seq = head.name, seq+1
		seq, seqs[j], prevs[j] = cr.Seq, cr.Seq, prev
		hashes[j] = append([]byte(nil), head.h.Hash(prev, &cr)...)
		prev = hashes[j]
		for _, rule := range r.Rules {
			ruleTraces, ruleIDs = append(ruleTraces, t.ID), append(ruleIDs, rule)
		}
	}
	var refused map[int]bool
	err := pgx.BeginFunc(ctx, freshBegin{s}, func(tx pgx.Tx) error {
		res, err := tx.Query(ctx, insertSQL, ids, times, sessions, users, outcomes,
			names, versions, keys, idems, statuses, polOutcomes, tags, contexts, fired,
			bodies, reports, ruleTraces, ruleIDs, head.name, seqs, prevs, hashes)
		if err != nil {
			return err
		}
		got, err := pgx.CollectRows(res, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(got) == n { // every row stored: their reviews commit with them (loop.go)
			batch := make([]*audit.Row, n)
			for j, i := range live {
				batch[j] = rows[i]
			}
			return openReviews(ctx, tx, batch, func(int) bool { return true })
		}
		stored := make(map[string]bool, len(got))
		for _, v := range got {
			stored[v] = true
		}
		// An id stored once in this batch belongs to its first row only.
		refused = map[int]bool{}
		seen := make(map[string]bool, n)
		for _, i := range live {
			id := rows[i].Trace.ID
			if !stored[id] || seen[id] {
				refused[i] = true
			}
			seen[id] = true
		}
		return errRedo
	})
	if errors.Is(err, errRedo) {
		return refused, 0, nil, nil
	}
	if err != nil {
		return nil, 0, nil, fmt.Errorf("insert %d traces: %w", n, err)
	}
	return nil, seq, prev, nil
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

// Prune deletes the traces decided before a time: of each chain, the
// prefix up to its first trace decided at or after it (traces from before
// the chain, by time), a chunk per statement. For each chain it first
// stores a retention checkpoint of the last trace it removes (signed with
// Options.CheckpointKey when set), so the chain stays verifiable.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	if s.readOnly {
		return 0, audit.ErrReadOnly
	}
	rows, err := s.pool.Query(ctx, `SELECT chain, COALESCE(MIN(seq) FILTER (WHERE decided_at >= $1), MAX(seq) + 1) AS keep,
		count(*) FILTER (WHERE decided_at < $1)
		FROM traces WHERE chain IS NOT NULL GROUP BY chain`, before)
	if err != nil {
		return 0, fmt.Errorf("prune: find the first traces kept: %w", err)
	}
	type cut struct {
		chain string
		keep  int64
	}
	var cuts []cut
	for rows.Next() {
		var c cut
		var old int64
		if err := rows.Scan(&c.chain, &c.keep, &old); err != nil {
			rows.Close()
			return 0, fmt.Errorf("prune: %w", err)
		}
		if old > 0 {
			cuts = append(cuts, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	var total int64
	rulesBefore := before
	for _, c := range cuts {
		var removed int64
		var hash []byte
		if err := s.pool.QueryRow(ctx, `SELECT count(*), (SELECT hash FROM traces WHERE chain = $1 AND seq = $2 - 1)
			FROM traces WHERE chain = $1 AND seq < $2`, c.chain, c.keep).Scan(&removed, &hash); err != nil {
			return total, fmt.Errorf("prune chain %s: %w", c.chain, err)
		}
		if removed == 0 {
			continue
		}
		if hash == nil {
			return total, fmt.Errorf("prune chain %s: the last trace to remove (seq %d) is missing: run verdict audit verify", c.chain, c.keep-1)
		}
		cp := audit.Checkpoint{Chain: c.chain, Seq: c.keep - 1, Hash: hex.EncodeToString(hash), At: time.Now(), Reason: "retention", Removed: removed}
		cp.Sign(s.key)
		if err := s.AddCheckpoint(ctx, cp); err != nil {
			return total, fmt.Errorf("prune: %w", err)
		}
		// Its fired-rule rows go by time below: those decided before the
		// oldest trace the chain keeps (found among the next traces of the
		// chain, by the (chain, seq) index).
		var oldest *time.Time
		if err := s.pool.QueryRow(ctx, `SELECT MIN(decided_at) FROM traces WHERE chain = $1 AND seq BETWEEN $2 AND $2 + 10000`,
			c.chain, c.keep).Scan(&oldest); err != nil {
			return total, fmt.Errorf("prune chain %s: %w", c.chain, err)
		}
		if oldest != nil && oldest.Before(rulesBefore) {
			rulesBefore = *oldest
		}
		n, err := s.deleteChunks(ctx, `DELETE FROM traces WHERE ctid IN
			(SELECT ctid FROM traces WHERE chain = $1 AND seq < $2 LIMIT $3)`, c.chain, c.keep)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune traces: %w", err)
		}
	}
	// The fired-rule rows of what was removed, by time (trace_rules_time); a
	// removed trace decided after the oldest kept leaves rule rows matching
	// no trace (the rule filter joins traces) until a later prune.
	if _, err := s.deleteChunks(ctx, `DELETE FROM trace_rules WHERE ctid IN
		(SELECT ctid FROM trace_rules WHERE decided_at < $1 LIMIT $2)`, rulesBefore); err != nil {
		return total, fmt.Errorf("prune fired rules: %w", err)
	}
	// traces from before the chain (schema 1), by time
	n, err := s.deleteChunks(ctx, `DELETE FROM traces WHERE ctid IN
		(SELECT ctid FROM traces WHERE chain IS NULL AND decided_at < $1 LIMIT $2)`, before)
	total += n
	if err != nil {
		return total, fmt.Errorf("prune traces: %w", err)
	}
	return total, nil
}

// deleteChunks runs a DELETE whose last parameter is the chunk size until
// it deletes fewer rows than that.
func (s *Store) deleteChunks(ctx context.Context, stmt string, args ...any) (int64, error) {
	args = append(args, pruneChunk)
	return audit.DeleteInChunks(pruneChunk, func() (int64, error) {
		tag, err := s.pool.Exec(ctx, stmt, args...)
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
