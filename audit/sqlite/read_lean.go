package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/audit"
)

var (
	_ audit.LeanCounterSource  = (*Store)(nil)
	_ audit.ReportColumnSource = (*Store)(nil)
)

// LeanCounterRows is CounterRows without the reports: the user_id column
// instead, and the report's length, which SQLite reads from the row's
// header without its bytes (audit.LeanCounterSource).
func (s *Store) LeanCounterRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	return s.leanRows(ctx, since, until, false, fn)
}

// ReportColumnRows is LeanCounterRows with the risk_score and checks
// columns, and the report of a trace stored without them
// (audit.ReportColumnSource).
func (s *Store) ReportColumnRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	return s.leanRows(ctx, since, until, true, fn)
}

func (s *Store) leanRows(ctx context.Context, since, until time.Time, columns bool, fn func(*audit.ReplayRow) error) error {
	w := counterWhere(since, until)
	score := `NULL, NULL, NULL`
	if columns {
		score = `risk_score, CAST(checks AS BLOB), CASE WHEN risk_score IS NULL OR checks IS NULL THEN report END`
	}
	err := s.rawRows(ctx, `SELECT id, decided_at, report_status, policy_outcome, CAST(fired AS BLOB), CAST(context AS BLOB), user_id, length(report), `+
		score+` FROM traces`+w.SQL()+` ORDER BY seq`, w.Args(), 11, func(d []driver.Value) error {
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
		switch {
		case d[8] != nil && d[9] != nil:
			v, err := asInt(d[8])
			if err != nil {
				return fmt.Errorf("read trace %s: risk_score: %w", r.ID, err)
			}
			n := int(v)
			r.RiskScore = &n
			if r.CheckCodes, err = ownBytes(d[9]); err != nil {
				return fmt.Errorf("read trace %s: checks: %w", r.ID, err)
			}
			r.ReportOmitted = reportLen > 0
		case d[10] != nil:
			if r.Report, err = ownBytes(d[10]); err != nil {
				return fmt.Errorf("read trace %s: report: %w", r.ID, err)
			}
		default:
			r.ReportOmitted = reportLen > 0
		}
		return fn(r)
	})
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	return nil
}
