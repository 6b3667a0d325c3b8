package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

var _ audit.LeanCounterSource = (*Store)(nil)

// LeanCounterRows is CounterRows without the reports: the user_id column
// instead, and the report's length, which SQLite reads from the row's
// header without its bytes (audit.LeanCounterSource).
func (s *Store) LeanCounterRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	w := counterWhere(since, until)
	rows, err := s.r.QueryContext(ctx, `SELECT id, decided_at, report_status, policy_outcome, fired, context, user_id, length(report) FROM traces`+
		w.SQL()+` ORDER BY seq`, w.Args()...)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r audit.ReplayRow
		var micros, reportLen int64
		var outcome string
		var contextJSON sql.RawBytes
		var fired sql.RawBytes
		if err := rows.Scan(&r.ID, &micros, &r.ReportStatus, &outcome, &fired, &contextJSON, &r.UserID, &reportLen); err != nil {
			return fmt.Errorf("read trace: %w", err)
		}
		r.DecidedAt, r.Outcome = time.UnixMicro(micros).UTC(), engine.Outcome(outcome)
		r.FiredRules = append([]byte(nil), fired...)
		if len(contextJSON) > 0 {
			r.Context = append([]byte(nil), contextJSON...)
		}
		r.ReportOmitted = reportLen > 0
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	return nil
}
