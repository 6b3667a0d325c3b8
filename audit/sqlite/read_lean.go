package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/audit"
)

var _ audit.LeanCounterSource = (*Store)(nil)

// LeanCounterRows is CounterRows without the reports: the user_id column
// instead, and the report's length, which SQLite reads from the row's
// header without its bytes (audit.LeanCounterSource).
func (s *Store) LeanCounterRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	w := counterWhere(since, until)
	err := s.rawRows(ctx, `SELECT id, decided_at, report_status, policy_outcome, CAST(fired AS BLOB), CAST(context AS BLOB), user_id, length(report) FROM traces`+
		w.SQL()+` ORDER BY seq`, w.Args(), 8, func(d []driver.Value) error {
		r, err := counterRow(d)
		if err != nil {
			return err
		}
		if r.UserID, err = asString(d[6]); err != nil {
			return fmt.Errorf("read trace %s: user_id: %w", r.ID, err)
		}
		reportLen, err := asInt(d[7])
		if err != nil {
			return fmt.Errorf("read trace %s: length(report): %w", r.ID, err)
		}
		r.ReportOmitted = reportLen > 0
		return fn(r)
	})
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	return nil
}
