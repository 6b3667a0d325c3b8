package postgres

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// chainColumns are a trace's columns as the chain hashes them; traces from
// before the chain (schema 1) come with chain "" and seq 0.
const chainColumns = `COALESCE(t.chain, ''), COALESCE(t.seq, 0), t.id, t.decided_at, t.session_id, t.user_id,
	t.outcome, t.policy_name, t.policy_version, t.key_id, t.idempotency_key, t.report_status, t.policy_outcome,
	t.tags::text, t.context::text, t.fired::text, t.body::text, t.report, t.prev_hash, t.hash`

// ChainRows streams, for every chain, the segment that holds every trace in
// [since, until) (all of it with open ends), in chain then seq order
// (audit.CheckpointLog). Traces commit in about, not exactly, decision-time
// order, so a segment may hold a few traces just outside the range.
func (s *Store) ChainRows(ctx context.Context, since, until time.Time, fn func(*audit.ChainRow) error) error {
	q := `SELECT ` + chainColumns + ` FROM traces t ORDER BY t.chain NULLS FIRST, t.seq, t.decided_at, t.id`
	var args []any
	if !since.IsZero() || !until.IsZero() {
		w := newWhere()
		w.TimeRange(`decided_at`, since, until)
		q = `WITH b AS (SELECT chain, MIN(seq) AS lo, MAX(seq) AS hi FROM traces` + w.SQL() + ` GROUP BY chain)
			SELECT ` + chainColumns + ` FROM traces t JOIN b ON t.chain = b.chain AND t.seq BETWEEN b.lo AND b.hi
			ORDER BY t.chain, t.seq`
		args = w.Args()
	}
	return s.chainScan(ctx, q, args, fn)
}

// Heads returns every chain's last trace.
func (s *Store) Heads(ctx context.Context) ([]audit.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (chain) chain, seq, hash FROM traces
		WHERE chain IS NOT NULL ORDER BY chain, seq DESC`)
	if err != nil {
		return nil, fmt.Errorf("read the chains' heads: %w", err)
	}
	defer rows.Close()
	var out []audit.Checkpoint
	for rows.Next() {
		var c audit.Checkpoint
		var h []byte
		if err := rows.Scan(&c.Chain, &c.Seq, &h); err != nil {
			return nil, fmt.Errorf("read the chains' heads: %w", err)
		}
		c.Hash = hex.EncodeToString(h)
		out = append(out, c)
	}
	return out, rows.Err()
}

// AddCheckpoint stores a checkpoint.
func (s *Store) AddCheckpoint(ctx context.Context, c audit.Checkpoint) error {
	if s.readOnly {
		return audit.ErrReadOnly
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO chain_checkpoints (chain, seq, hash, at, reason, removed, public_key, signature)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.Chain, c.Seq, c.Hash, c.At, c.Reason, c.Removed, c.PublicKey, c.Signature); err != nil {
		return fmt.Errorf("store checkpoint: %w", err)
	}
	return nil
}

// Checkpoints returns the stored checkpoints, oldest first.
func (s *Store) Checkpoints(ctx context.Context) ([]audit.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT chain, seq, hash, at, reason, removed, public_key, signature
		FROM chain_checkpoints ORDER BY at, chain, seq`)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	var out []audit.Checkpoint
	for rows.Next() {
		var c audit.Checkpoint
		if err := rows.Scan(&c.Chain, &c.Seq, &c.Hash, &c.At, &c.Reason, &c.Removed, &c.PublicKey, &c.Signature); err != nil {
			return nil, fmt.Errorf("read checkpoint: %w", err)
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
