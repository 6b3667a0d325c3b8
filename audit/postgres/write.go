package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
)

// insertSQL stores one trace and its fired rule ids in one statement; it
// returns 1 when the trace was stored, 0 when its id or idempotency key
// already was.
const insertSQL = `WITH ins AS (
	INSERT INTO traces (id, decided_at, session_id, user_id, outcome,
		policy_name, policy_version, key_id, idempotency_key, body, report)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
	ON CONFLICT DO NOTHING
	RETURNING id, decided_at
), rules AS (
	INSERT INTO trace_rules (rule_id, decided_at, trace_id)
	SELECT r, ins.decided_at, ins.id FROM ins, unnest($12::text[]) AS r
)
SELECT count(*) FROM ins`

// pruneChunk bounds how many rows one prune statement deletes.
const pruneChunk = 5000

// Append stores a trace durably; see audit.Store.
func (s *Store) Append(ctx context.Context, t *audit.Trace) error {
	if s.readOnly {
		return audit.ErrReadOnly
	}
	row, err := audit.EncodeRow(t, time.Now())
	if err != nil {
		return err
	}
	return s.batch.Submit(ctx, row)
}

// commit writes one batch in one transaction, its statements pipelined in
// one round trip (audit.CommitFunc).
func (s *Store) commit(ctx context.Context, rows []*audit.Row, errs []error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range rows {
			t := r.Trace
			var idem *string
			if t.IdempotencyKey != "" {
				idem = &t.IdempotencyKey
			}
			report := r.Report
			if report == nil {
				report = []byte{}
			}
			b.Queue(insertSQL, t.ID, t.DecidedAt, t.SessionID, t.UserID, string(t.Outcome),
				t.Policy.Name, t.Policy.Version, t.KeyID, idem, string(r.Body), report, r.Rules)
		}
		br := tx.SendBatch(ctx, b)
		for i, r := range rows {
			var n int
			if err := br.QueryRow().Scan(&n); err != nil {
				br.Close()
				return fmt.Errorf("insert trace %s: %w", r.Trace.ID, err)
			}
			if n == 0 {
				t := r.Trace
				errs[i] = fmt.Errorf("%w: trace id %s or idempotency key %q of key %q", audit.ErrConflict, t.ID, t.IdempotencyKey, t.KeyID)
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("insert batch: %w", err)
		}
		return nil
	})
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
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, stmt, before, pruneChunk)
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneChunk {
			return total, nil
		}
	}
}
