package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/audit"
)

const insertTraceSQL = `INSERT INTO traces (id, decided_at, session_id, user_id, outcome,
	policy_name, policy_version, key_id, idempotency_key,
	report_status, policy_outcome, tags, context, fired, body, report)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`

const insertRuleSQL = `INSERT INTO trace_rules (rule_id, decided_at, trace_id) VALUES (?, ?, ?)`

// pruneChunk bounds how many rows one prune transaction deletes, so appends
// never wait long behind retention.
const pruneChunk = 2000

// Append stores a trace durably; see audit.Store.
func (s *Store) Append(ctx context.Context, t *audit.Trace) error {
	if s.readOnly {
		return audit.ErrReadOnly
	}
	return s.batch.Append(ctx, t)
}

// commit writes one batch in one transaction (audit.CommitFunc).
func (s *Store) commit(ctx context.Context, rows []*audit.Row, errs []error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	ins, insRule := tx.StmtContext(ctx, s.ins), tx.StmtContext(ctx, s.insRule)
	for i, r := range rows {
		t := r.Trace
		micros := t.DecidedAt.UnixMicro()
		var idem any
		if t.IdempotencyKey != "" {
			idem = t.IdempotencyKey
		}
		report := r.Report
		if report == nil {
			report = []byte{}
		}
		var context any
		if r.Context != nil {
			context = string(r.Context)
		}
		res, err := ins.ExecContext(ctx, t.ID, micros, t.SessionID, t.UserID, string(t.Outcome),
			t.Policy.Name, t.Policy.Version, t.KeyID, idem,
			t.ReportStatus, r.PolicyOutcome, string(r.Tags), context, string(r.FiredRules), r.Body, report)
		if err != nil {
			return fmt.Errorf("insert trace %s: %w", t.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			errs[i] = audit.ConflictError(t)
			continue
		}
		for _, rule := range r.Rules {
			if _, err := insRule.ExecContext(ctx, rule, micros, t.ID); err != nil {
				return fmt.Errorf("insert fired rule %s of trace %s: %w", rule, t.ID, err)
			}
		}
	}
	if err := openReviews(ctx, tx, rows, errs); err != nil { // loop.go: reviews commit with their traces
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Prune deletes the traces decided before a time, a chunk per transaction.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	if s.readOnly {
		return 0, audit.ErrReadOnly
	}
	micros := before.UnixMicro()
	if _, err := deleteChunks(ctx, s.w, `DELETE FROM trace_rules WHERE (rule_id, decided_at, trace_id) IN
		(SELECT rule_id, decided_at, trace_id FROM trace_rules WHERE decided_at < ? LIMIT ?)`, micros); err != nil {
		return 0, fmt.Errorf("prune fired rules: %w", err)
	}
	n, err := deleteChunks(ctx, s.w, `DELETE FROM traces WHERE id IN
		(SELECT id FROM traces WHERE decided_at < ? LIMIT ?)`, micros)
	if err != nil {
		return n, fmt.Errorf("prune traces: %w", err)
	}
	return n, nil
}

func deleteChunks(ctx context.Context, db *sql.DB, stmt string, micros int64) (int64, error) {
	return audit.DeleteInChunks(pruneChunk, func() (int64, error) {
		res, err := db.ExecContext(ctx, stmt, micros, pruneChunk)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
}
