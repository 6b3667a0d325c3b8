package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// headSQL reads the chain's head: the last trace written. Inside the write
// transaction (BEGIN IMMEDIATE holds the file's write lock) it is the head
// for every process writing the file, so SQLite keeps one chain.
const headSQL = `SELECT seq, hash FROM traces ORDER BY seq DESC LIMIT 1`

// pruneChunk bounds how many rows one prune transaction deletes, so appends
// never wait long behind retention.
const pruneChunk = 2000

// pruneLookahead is how far past the first trace kept Prune looks for the
// oldest decision kept: far more traces than commit out of decision order.
const pruneLookahead = 10000

// BatchStats returns how many batches the store committed and the traces
// they held (zeros when read-only): traces/commits is the mean batch size.
func (s *Store) BatchStats() (commits, traces int64) {
	if s.batch == nil {
		return 0, 0
	}
	return s.batch.Stats()
}

// Append stores a trace durably; see audit.Store.
func (s *Store) Append(ctx context.Context, t *audit.Trace) error {
	if s.readOnly {
		return audit.ErrReadOnly
	}
	return s.batch.Append(ctx, t)
}

// commit writes one batch in one transaction (audit.CommitFunc): its
// traces, their fired rules, the reviews they open and the webhook events
// they raise, each table in multi-row INSERTs. When a trace conflicts with
// one stored (its id or idempotency key), the chain as computed for the
// whole batch is wrong from that trace on, so the batch is written again a
// trace at a time (insertEach), skipping the conflicting ones.
func (s *Store) commit(ctx context.Context, rows []*audit.Row, errs []error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	seq, prev, err := head(ctx, tx)
	if err != nil {
		return err
	}
	all, err := s.insertAll(ctx, tx, seq, prev, rows)
	if err != nil {
		return err
	}
	if !all {
		if err := s.insertEach(ctx, tx, seq, prev, rows, errs); err != nil {
			return err
		}
	}
	if err := s.insertLoop(ctx, tx, rows, errs); err != nil { // reviews and events commit with their traces
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// traceArgs appends the traces columns of r, as seq in the chain after prev,
// to args, and returns them with r's hash (in a new slice).
func (s *Store) traceArgs(args []any, r *audit.Row, seq int64, prev []byte) ([]any, []byte) {
	t := r.Trace
	var idem any
	if t.IdempotencyKey != "" {
		idem = t.IdempotencyKey
	}
	cr := audit.ChainRowOf(r, nil)
	cr.Seq = seq
	var score, checks any // NULL: not known, the report is read instead
	if r.RiskScore != nil && r.CheckCodes != nil {
		v := int64(*r.RiskScore)
		cr.RiskScore, score = &v, v
		cr.Checks, checks = r.CheckCodes, string(r.CheckCodes)
	}
	hash := append([]byte(nil), s.hasher.Hash(prev, &cr)...)
	var context any
	if r.Context != nil {
		context = string(r.Context)
	}
	return append(args, cr.Seq, t.ID, cr.DecidedAt, t.SessionID, t.UserID, string(t.Outcome),
		t.Policy.Name, t.Policy.Version, t.KeyID, idem,
		t.ReportStatus, r.PolicyOutcome, string(r.Tags), context, string(r.FiredRules), r.Body, cr.Report, prev, hash, score, checks), hash
}

// insertAll writes every trace of the batch and its fired rules in
// multi-row INSERTs under a savepoint, and reports whether all were stored;
// when one was not, it rolls back to the savepoint and returns false.
func (s *Store) insertAll(ctx context.Context, tx *sql.Tx, seq int64, prev []byte, rows []*audit.Row) (bool, error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT batch`); err != nil {
		return false, fmt.Errorf("savepoint: %w", err)
	}
	args := make([]any, 0, len(rows)*tracesTable.cols)
	var rules []any
	for _, r := range rows {
		seq++
		args, prev = s.traceArgs(args, r, seq, prev)
		micros := r.Trace.DecidedAt.UnixMicro()
		for _, rule := range r.Rules {
			rules = append(rules, rule, micros, r.Trace.ID)
		}
	}
	n, err := s.inserts.exec(ctx, tx, tracesTable, args)
	if err != nil {
		return false, err
	}
	if n < int64(len(rows)) {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO batch`); err != nil {
			return false, fmt.Errorf("roll back to savepoint: %w", err)
		}
		return false, nil
	}
	if _, err := s.inserts.exec(ctx, tx, traceRulesTable, rules); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE batch`); err != nil {
		return false, fmt.Errorf("release savepoint: %w", err)
	}
	return true, nil
}

// insertEach writes the batch's traces one at a time, chaining each stored
// trace to the last one stored and setting errs[i] for a trace that
// conflicts with one stored.
func (s *Store) insertEach(ctx context.Context, tx *sql.Tx, seq int64, prev []byte, rows []*audit.Row, errs []error) error {
	args := make([]any, 0, tracesTable.cols)
	for i, r := range rows {
		t := r.Trace
		var hash []byte
		args, hash = s.traceArgs(args[:0], r, seq+1, prev)
		n, err := s.inserts.exec(ctx, tx, tracesTable, args)
		if err != nil {
			return fmt.Errorf("insert trace %s: %w", t.ID, err)
		}
		if n == 0 {
			errs[i] = audit.ConflictError(t)
			continue
		}
		seq, prev = seq+1, hash
		rules := make([]any, 0, len(r.Rules)*traceRulesTable.cols)
		for _, rule := range r.Rules {
			rules = append(rules, rule, t.DecidedAt.UnixMicro(), t.ID)
		}
		if _, err := s.inserts.exec(ctx, tx, traceRulesTable, rules); err != nil {
			return fmt.Errorf("insert fired rules of trace %s: %w", t.ID, err)
		}
	}
	return nil
}

// head is the chain's last seq and hash (the zero hash after traces from
// before the chain, or in an empty log).
func head(ctx context.Context, tx *sql.Tx) (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := tx.QueryRowContext(ctx, headSQL).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, fmt.Errorf("read the chain's head: %w", err)
	}
	if hash == nil {
		hash = audit.ZeroHash
	}
	return seq, hash, nil
}

// Prune deletes the traces decided before a time: the chain's prefix up to
// the first trace decided at or after it, a chunk per transaction. It first
// stores a retention checkpoint of the last trace it removes (signed with
// Options.CheckpointKey when set), so the chain stays verifiable.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	if s.readOnly {
		return 0, audit.ErrReadOnly
	}
	var keep int64 // the first seq kept
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE((SELECT MIN(seq) FROM traces WHERE decided_at >= ?),
		(SELECT COALESCE(MAX(seq), 0) + 1 FROM traces))`, before.UnixMicro()).Scan(&keep); err != nil {
		return 0, fmt.Errorf("prune: find the first trace kept: %w", err)
	}
	var removed int64
	var last sql.NullInt64
	var hash []byte
	if err := s.w.QueryRowContext(ctx, `SELECT count(*), MAX(seq) FROM traces WHERE seq < ?`, keep).Scan(&removed, &last); err != nil {
		return 0, fmt.Errorf("prune: count: %w", err)
	}
	if removed == 0 {
		return 0, nil
	}
	if err := s.w.QueryRowContext(ctx, `SELECT hash FROM traces WHERE seq = ?`, last.Int64).Scan(&hash); err != nil {
		return 0, fmt.Errorf("prune: read the last trace removed: %w", err)
	}
	if hash == nil {
		hash = audit.ZeroHash
	}
	c := audit.Checkpoint{Seq: last.Int64, Hash: hex.EncodeToString(hash), At: time.Now(), Reason: "retention", Removed: removed}
	c.Sign(s.key)
	if err := s.AddCheckpoint(ctx, c); err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	// The fired-rule rows of the removed traces, rule by rule (pruneRules):
	// those decided before the oldest trace kept. Traces commit close to, not
	// exactly in, decision order, so the oldest kept is looked for among the
	// next pruneLookahead traces; a removed trace decided after it leaves
	// rule rows that match no trace (the rule filter joins traces) until a
	// later prune.
	var oldestKept sql.NullInt64
	if err := s.w.QueryRowContext(ctx, `SELECT MIN(decided_at) FROM traces WHERE seq BETWEEN ? AND ?`,
		keep, keep+pruneLookahead).Scan(&oldestKept); err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	rulesBefore := before.UnixMicro()
	if oldestKept.Valid && oldestKept.Int64 < rulesBefore {
		rulesBefore = oldestKept.Int64
	}
	if err := s.pruneRules(ctx, rulesBefore); err != nil {
		return 0, fmt.Errorf("prune fired rules: %w", err)
	}
	n, err := deleteChunks(ctx, s.w, `DELETE FROM traces WHERE seq IN
		(SELECT seq FROM traces WHERE seq < ? LIMIT ?)`, keep)
	if err != nil {
		return n, fmt.Errorf("prune traces: %w", err)
	}
	return n, nil
}

// pruneRules deletes the fired-rule rows decided before a time (unix
// microseconds). trace_rules is keyed by (rule_id, decided_at, trace_id), so
// it walks the rule ids (one index seek each) and deletes each rule's old
// rows from the front of its range.
func (s *Store) pruneRules(ctx context.Context, before int64) error {
	rule := ""
	for {
		var next sql.NullString
		if err := s.w.QueryRowContext(ctx, `SELECT MIN(rule_id) FROM trace_rules WHERE rule_id > ?`, rule).Scan(&next); err != nil {
			return fmt.Errorf("next rule after %q: %w", rule, err)
		}
		if !next.Valid {
			return nil
		}
		rule = next.String
		if _, err := audit.DeleteInChunks(pruneChunk, func() (int64, error) {
			res, err := s.w.ExecContext(ctx, `DELETE FROM trace_rules WHERE (rule_id, decided_at, trace_id) IN
				(SELECT rule_id, decided_at, trace_id FROM trace_rules WHERE rule_id = ? AND decided_at < ? LIMIT ?)`,
				rule, before, pruneChunk)
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		}); err != nil {
			return fmt.Errorf("rule %q: %w", rule, err)
		}
	}
}

func deleteChunks(ctx context.Context, db *sql.DB, stmt string, arg int64) (int64, error) {
	return audit.DeleteInChunks(pruneChunk, func() (int64, error) {
		res, err := db.ExecContext(ctx, stmt, arg, pruneChunk)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
}
