package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

var _ audit.LeanCounterSource = (*Store)(nil)

// LeanCounterRows is CounterRows without the reports: the user_id column
// instead, and the report's length, which PostgreSQL takes from the stored
// value's header without decompressing it (audit.LeanCounterSource).
func (s *Store) LeanCounterRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	where, args := timeRange(since, until)
	rows, err := s.pool.Query(ctx, `SELECT id, decided_at, report_status, policy_outcome, fired::text, context::text, user_id, octet_length(report)
		FROM traces`+where+` ORDER BY decided_at, id`, args...)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r audit.ReplayRow
		var outcome string
		var reportLen int64
		if err := rows.Scan(&r.ID, &r.DecidedAt, &r.ReportStatus, &outcome, &r.FiredRules, &r.Context, &r.UserID, &reportLen); err != nil {
			return fmt.Errorf("read trace: %w", err)
		}
		r.DecidedAt, r.Outcome, r.ReportOmitted = r.DecidedAt.UTC(), engine.Outcome(outcome), reportLen > 0
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	return nil
}
