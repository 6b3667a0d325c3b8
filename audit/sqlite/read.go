package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// Get returns one trace by id.
func (s *Store) Get(ctx context.Context, id string) (*audit.Trace, error) {
	return s.one(ctx, `SELECT body, report FROM traces WHERE id = ?`, id)
}

// FindIdempotent returns the trace a caller key stored under an idempotency key.
func (s *Store) FindIdempotent(ctx context.Context, keyID, idemKey string) (*audit.Trace, error) {
	if idemKey == "" {
		return nil, fmt.Errorf("%w: empty idempotency key", audit.ErrInvalid)
	}
	return s.one(ctx, `SELECT body, report FROM traces WHERE key_id = ? AND idempotency_key = ?`, keyID, idemKey)
}

func (s *Store) one(ctx context.Context, q string, args ...any) (*audit.Trace, error) {
	var body, report []byte
	err := s.r.QueryRowContext(ctx, q, args...).Scan(&body, &report)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, audit.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	return audit.DecodeRow(body, report)
}

// Query returns one page of traces, newest first.
func (s *Store) Query(ctx context.Context, f audit.Filter) (audit.Page, error) {
	cur, err := f.Normalize()
	if err != nil {
		return audit.Page{}, err
	}
	// With a rule filter the side table drives the scan, in its own
	// (decided_at, id) order; otherwise the traces table does.
	from, key := `traces t`, `t.decided_at, t.id`
	var where []string
	var args []any
	if f.Rule != "" {
		from = `trace_rules r JOIN traces t ON t.id = r.trace_id`
		key = `r.decided_at, r.trace_id`
		where, args = append(where, `r.rule_id = ?`), append(args, f.Rule)
	}
	timeCol := strings.Split(key, ",")[0]
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if f.SessionID != "" {
		add(`t.session_id = ?`, f.SessionID)
	}
	if f.UserID != "" {
		add(`t.user_id = ?`, f.UserID)
	}
	if f.Outcome != "" {
		add(`t.outcome = ?`, string(f.Outcome))
	}
	if f.PolicyVersion != "" {
		add(`t.policy_version = ?`, f.PolicyVersion)
	}
	if !f.Since.IsZero() {
		add(timeCol+` >= ?`, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		add(timeCol+` < ?`, f.Until.UnixMicro())
	}
	if cur != nil {
		where = append(where, `(`+key+`) < (?, ?)`)
		args = append(args, cur.DecidedAt.UnixMicro(), cur.ID)
	}
	q := `SELECT t.body, t.report FROM ` + from
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY ` + strings.ReplaceAll(key, ",", " DESC,") + ` DESC LIMIT ?`
	args = append(args, f.Limit+1)

	var page audit.Page
	err = s.scan(ctx, q, args, func(t *audit.Trace) error {
		page.Traces = append(page.Traces, t)
		return nil
	})
	if err != nil {
		return audit.Page{}, fmt.Errorf("query traces: %w", err)
	}
	if len(page.Traces) > f.Limit {
		page.Traces = page.Traces[:f.Limit]
		page.NextCursor = audit.EncodeCursor(page.Traces[f.Limit-1])
	}
	if page.Traces == nil {
		page.Traces = []*audit.Trace{}
	}
	return page, nil
}

// Export streams the traces in [since, until), oldest first.
func (s *Store) Export(ctx context.Context, since, until time.Time, fn func(*audit.Trace) error) error {
	where, args := timeRange(since, until)
	return s.scan(ctx, `SELECT body, report FROM traces`+where+` ORDER BY decided_at, id`, args, fn)
}

// ReplayRows streams what replay reads of the traces in [since, until),
// oldest first (audit.RowSource).
func (s *Store) ReplayRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	where, args := timeRange(since, until)
	rows, err := s.r.QueryContext(ctx, `SELECT id, decided_at, session_id, tags, context, report_status,
		policy_name, policy_version, policy_outcome, fired, report FROM traces`+where+` ORDER BY decided_at, id`, args...)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r audit.ReplayRow
		var micros int64
		var outcome string
		if err := rows.Scan(&r.ID, &micros, &r.SessionID, &r.Tags, &r.Context, &r.ReportStatus,
			&r.Policy.Name, &r.Policy.Version, &outcome, &r.FiredRules, &r.Report); err != nil {
			return fmt.Errorf("read trace: %w", err)
		}
		r.DecidedAt, r.Outcome = time.UnixMicro(micros).UTC(), engine.Outcome(outcome)
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	return nil
}

// Count returns how many traces lie in [since, until) (audit.RowSource).
func (s *Store) Count(ctx context.Context, since, until time.Time) (int64, error) {
	where, args := timeRange(since, until)
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM traces`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count traces: %w", err)
	}
	return n, nil
}

func timeRange(since, until time.Time) (string, []any) {
	var where []string
	var args []any
	if !since.IsZero() {
		where, args = append(where, `decided_at >= ?`), append(args, since.UnixMicro())
	}
	if !until.IsZero() {
		where, args = append(where, `decided_at < ?`), append(args, until.UnixMicro())
	}
	if len(where) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(where, ` AND `), args
}

func (s *Store) scan(ctx context.Context, q string, args []any, fn func(*audit.Trace) error) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var body, report []byte
		if err := rows.Scan(&body, &report); err != nil {
			return fmt.Errorf("read trace: %w", err)
		}
		t, err := audit.DecodeRow(body, report)
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
