package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/verdicthq/verdict/audit"
)

var _ audit.ReplicaTail = (*Store)(nil)

// OthersSince lists the traces decided at or after since that other stores
// appended: those of chains other than this store's writers' (and the
// unchained ones of schema 1). It reads the time index and each row's
// chain, not its bulk columns (audit.ReplicaTail).
func (s *Store) OthersSince(ctx context.Context, since time.Time, fn func(id string, decidedAt time.Time) error) error {
	rows, err := s.pool.Query(ctx, `SELECT id, decided_at FROM traces
		WHERE decided_at >= $1 AND (chain IS NULL OR NOT chain = ANY($2)) ORDER BY decided_at, id`, since, s.chains)
	if err != nil {
		return fmt.Errorf("read other replicas' traces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return fmt.Errorf("read other replicas' traces: %w", err)
		}
		if err := fn(id, at.UTC()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read other replicas' traces: %w", err)
	}
	return nil
}

// CounterRowsByID streams what counters read of the traces with these ids
// (audit.ReplicaTail).
func (s *Store) CounterRowsByID(ctx context.Context, ids []string, fn func(*audit.ReplayRow) error) error {
	if len(ids) == 0 {
		return nil
	}
	// Each id's partition key too (partition.go), so only the days the ids
	// name are probed: their id times, and -infinity (traces from before
	// schema 7).
	times := make([]pgtype.Timestamptz, len(ids))
	for i, id := range ids {
		times[i] = idTime(id)
	}
	rows, err := s.pool.Query(ctx, `SELECT t.id, t.decided_at, t.report_status, t.policy_outcome, t.fired::text, t.context::text, t.report
		FROM traces t JOIN unnest($1::text[], $2::timestamptz[]) AS k(id, id_time)
		ON t.id = k.id AND (t.id_time = k.id_time OR t.id_time = '-infinity')`, ids, times)
	if err != nil {
		return fmt.Errorf("read %d traces: %w", len(ids), err)
	}
	defer rows.Close()
	var at time.Time
	return audit.ScanCounterRows(rows, &at, func() time.Time { return at }, fn)
}
