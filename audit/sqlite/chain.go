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

// ChainRows streams the chain segment that holds every trace in [since,
// until), with its chain columns, in chain order (audit.CheckpointLog):
// traces commit in about, not exactly, decision-time order, so the segment
// may hold a few traces just outside the range. SQLite keeps one chain,
// named "".
func (s *Store) ChainRows(ctx context.Context, since, until time.Time, fn func(*audit.ChainRow) error) error {
	where, args := "", []any(nil)
	if !since.IsZero() || !until.IsZero() {
		w, a := timeRange(since, until)
		where = ` WHERE seq BETWEEN (SELECT MIN(seq) FROM traces` + w + `) AND (SELECT MAX(seq) FROM traces` + w + `)`
		args = append(a, a...)
	}
	return s.chainScan(ctx, where, args, fn)
}

// ChainBounds returns the one chain's seq range for [since, until)
// (audit.ChainRanger): none in an empty log.
func (s *Store) ChainBounds(ctx context.Context, since, until time.Time) ([]audit.ChainBound, error) {
	w, a := timeRange(since, until)
	q := `SELECT MIN(seq), MAX(seq) FROM traces` + w
	if w == "" {
		// Two lookups of the primary key: SQLite answers MIN and MAX
		// together by scanning an index of every row.
		q = `SELECT (SELECT MIN(seq) FROM traces), (SELECT MAX(seq) FROM traces)`
	}
	var lo, hi sql.NullInt64
	if err := s.r.QueryRowContext(ctx, q, a...).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("read the chain's bounds: %w", err)
	}
	if !lo.Valid {
		return nil, nil
	}
	return []audit.ChainBound{{Lo: lo.Int64, Hi: hi.Int64}}, nil
}

// ChainRange streams the traces with lo <= seq <= hi (audit.ChainRanger).
func (s *Store) ChainRange(ctx context.Context, chain string, lo, hi int64, fn func(*audit.ChainRow) error) error {
	if chain != "" {
		return nil // SQLite's one chain is ""
	}
	return s.chainScan(ctx, ` WHERE seq BETWEEN ? AND ?`, []any{lo, hi}, fn)
}

// Heads returns the chain's head: its last chained trace (none in an empty
// log, or one holding only traces from before the chain).
func (s *Store) Heads(ctx context.Context) ([]audit.Checkpoint, error) {
	var seq int64
	var hash []byte
	err := s.r.QueryRowContext(ctx, `SELECT seq, hash FROM traces WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the chain's head: %w", err)
	}
	return []audit.Checkpoint{{Seq: seq, Hash: hex.EncodeToString(hash)}}, nil
}

// AddCheckpoint stores a checkpoint.
func (s *Store) AddCheckpoint(ctx context.Context, c audit.Checkpoint) error {
	if s.readOnly {
		return audit.ErrReadOnly
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO chain_checkpoints (chain, seq, hash, at, reason, removed, public_key, signature)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Chain, c.Seq, c.Hash, c.At.UnixMicro(), c.Reason, c.Removed, c.PublicKey, c.Signature); err != nil {
		return fmt.Errorf("store checkpoint: %w", err)
	}
	return nil
}

// Checkpoints returns the stored checkpoints, oldest first.
func (s *Store) Checkpoints(ctx context.Context) ([]audit.Checkpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT chain, seq, hash, at, reason, removed, public_key, signature
		FROM chain_checkpoints ORDER BY at, chain, seq`)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	var out []audit.Checkpoint
	for rows.Next() {
		var c audit.Checkpoint
		var at int64
		if err := rows.Scan(&c.Chain, &c.Seq, &c.Hash, &at, &c.Reason, &c.Removed, &c.PublicKey, &c.Signature); err != nil {
			return nil, fmt.Errorf("read checkpoint: %w", err)
		}
		c.At = time.UnixMicro(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
