package audit

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// RowScanner is the part of a SQL result set ScanRows reads: *sql.Rows and
// pgx.Rows both satisfy it. Closing the rows stays with the caller.
type RowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanRows decodes each (body, report) row with DecodeRow and hands the
// trace to fn, stopping at the first error.
func ScanRows(rows RowScanner, fn func(*Trace) error) error {
	for rows.Next() {
		var body, report []byte
		if err := rows.Scan(&body, &report); err != nil {
			return fmt.Errorf("read trace: %w", err)
		}
		t, err := DecodeRow(body, report)
		if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	return nil
}

// ScanReplayRows reads rows of the replay columns (id, decided_at,
// session_id, tags, context, report_status, policy_name, policy_version,
// policy_outcome, fired, report, in that order) and hands each to fn,
// stopping at the first error. The backend scans decided_at into at and
// turns it into the time with decidedAt; the time is given to fn in UTC.
func ScanReplayRows(rows RowScanner, at any, decidedAt func() time.Time, fn func(*ReplayRow) error) error {
	for rows.Next() {
		var r ReplayRow
		var outcome string
		if err := rows.Scan(&r.ID, at, &r.SessionID, &r.Tags, &r.Context, &r.ReportStatus,
			&r.Policy.Name, &r.Policy.Version, &outcome, &r.FiredRules, &r.Report, &r.Memory); err != nil {
			return fmt.Errorf("read trace: %w", err)
		}
		r.DecidedAt, r.Outcome = decidedAt().UTC(), engine.Outcome(outcome)
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	return nil
}

// ScanCounterRows reads rows of the counter columns (id, decided_at,
// report_status, policy_outcome, fired, context, report, in that order)
// and hands each to fn, as ScanReplayRows does.
func ScanCounterRows(rows RowScanner, at any, decidedAt func() time.Time, fn func(*ReplayRow) error) error {
	for rows.Next() {
		var r ReplayRow
		var outcome string
		if err := rows.Scan(&r.ID, at, &r.ReportStatus, &outcome, &r.FiredRules, &r.Context, &r.Report); err != nil {
			return fmt.Errorf("read trace: %w", err)
		}
		r.DecidedAt, r.Outcome = decidedAt().UTC(), engine.Outcome(outcome)
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	return nil
}

// Where builds a SQL WHERE clause and its arguments for a backend: the
// backend supplies how the n-th placeholder is written and how a time is
// stored, the conditions are the same everywhere.
type Where struct {
	// Placeholder writes the placeholder of the n-th argument (1-based),
	// e.g. "?" or "$n".
	Placeholder func(n int) string
	// Time encodes a time argument as the backend stores it.
	Time func(time.Time) any

	conds []string
	args  []any
}

// QuestionMark is a Where.Placeholder writing "?" for every argument.
func QuestionMark(int) string { return "?" }

// DollarN is a Where.Placeholder writing "$n".
func DollarN(n int) string { return "$" + strconv.Itoa(n) }

// Add appends a condition; each "?" in cond stands for the next of vs, in order.
func (w *Where) Add(cond string, vs ...any) {
	var b strings.Builder
	for _, v := range vs {
		i := strings.IndexByte(cond, '?')
		if i < 0 {
			break
		}
		w.args = append(w.args, v)
		b.WriteString(cond[:i])
		b.WriteString(w.Placeholder(len(w.args)))
		cond = cond[i+1:]
	}
	b.WriteString(cond)
	w.conds = append(w.conds, b.String())
}

// TimeRange adds col >= since and col < until, each only when the time is set.
func (w *Where) TimeRange(col string, since, until time.Time) {
	if !since.IsZero() {
		w.Add(col+` >= ?`, w.Time(since))
	}
	if !until.IsZero() {
		w.Add(col+` < ?`, w.Time(until))
	}
}

// Arg appends an argument outside the WHERE clause (such as a LIMIT) and
// returns its placeholder.
func (w *Where) Arg(v any) string {
	w.args = append(w.args, v)
	return w.Placeholder(len(w.args))
}

// SQL returns " WHERE c1 AND c2 ...", or "" without conditions.
func (w *Where) SQL() string {
	if len(w.conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(w.conds, ` AND `)
}

// Args returns the arguments in placeholder order.
func (w *Where) Args() []any { return w.args }
