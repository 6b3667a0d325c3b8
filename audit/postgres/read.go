package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// Get returns one trace by id.
func (s *Store) Get(ctx context.Context, id string) (*audit.Trace, error) {
	return s.one(ctx, `SELECT body::text, report FROM traces WHERE id = $1`, id)
}

// FindIdempotent returns the trace a caller key stored under an idempotency key.
func (s *Store) FindIdempotent(ctx context.Context, keyID, idemKey string) (*audit.Trace, error) {
	if idemKey == "" {
		return nil, fmt.Errorf("%w: empty idempotency key", audit.ErrInvalid)
	}
	return s.one(ctx, `SELECT body::text, report FROM traces WHERE key_id = $1 AND idempotency_key = $2`, keyID, idemKey)
}

func (s *Store) one(ctx context.Context, q string, args ...any) (*audit.Trace, error) {
	var body string
	var report []byte
	err := s.pool.QueryRow(ctx, q, args...).Scan(&body, &report)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, audit.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	return audit.DecodeRow([]byte(body), report)
}

// Query returns one page of traces, newest first.
func (s *Store) Query(ctx context.Context, f audit.Filter) (audit.Page, error) {
	cur, err := f.Normalize()
	if err != nil {
		return audit.Page{}, err
	}
	// With a rule filter the side table drives the scan, in its own
	// (decided_at, id) order; otherwise the traces table does.
	from, timeCol, idCol := `traces t`, `t.decided_at`, `t.id`
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.Rule != "" {
		from = `trace_rules r JOIN traces t ON t.id = r.trace_id`
		timeCol, idCol = `r.decided_at`, `r.trace_id`
		add(`r.rule_id = $?`, f.Rule)
	}
	if f.SessionID != "" {
		add(`t.session_id = $?`, f.SessionID)
	}
	if f.UserID != "" {
		add(`t.user_id = $?`, f.UserID)
	}
	if f.Outcome != "" {
		add(`t.outcome = $?`, string(f.Outcome))
	}
	if f.PolicyVersion != "" {
		add(`t.policy_version = $?`, f.PolicyVersion)
	}
	if !f.Since.IsZero() {
		add(timeCol+` >= $?`, f.Since)
	}
	if !f.Until.IsZero() {
		add(timeCol+` < $?`, f.Until)
	}
	if cur != nil {
		args = append(args, cur.DecidedAt, cur.ID)
		where = append(where, fmt.Sprintf(`(%s, %s) < ($%d, $%d)`, timeCol, idCol, len(args)-1, len(args)))
	}
	q := `SELECT t.body::text, t.report FROM ` + from
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, f.Limit+1)
	q += fmt.Sprintf(` ORDER BY %s DESC, %s DESC LIMIT $%d`, timeCol, idCol, len(args))

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
	return s.scan(ctx, `SELECT body::text, report FROM traces`+where+` ORDER BY decided_at, id`, args, fn)
}

// ReplayRows streams what replay reads of the traces in [since, until),
// oldest first (audit.RowSource).
func (s *Store) ReplayRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	where, args := timeRange(since, until)
	rows, err := s.pool.Query(ctx, `SELECT id, decided_at, session_id, tags::text, context::text, report_status,
		policy_name, policy_version, policy_outcome, fired::text, report FROM traces`+where+` ORDER BY decided_at, id`, args...)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r audit.ReplayRow
		var outcome string
		if err := rows.Scan(&r.ID, &r.DecidedAt, &r.SessionID, &r.Tags, &r.Context, &r.ReportStatus,
			&r.Policy.Name, &r.Policy.Version, &outcome, &r.FiredRules, &r.Report); err != nil {
			return fmt.Errorf("read trace: %w", err)
		}
		r.DecidedAt, r.Outcome = r.DecidedAt.UTC(), engine.Outcome(outcome)
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
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM traces`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count traces: %w", err)
	}
	return n, nil
}

func timeRange(since, until time.Time) (string, []any) {
	var where []string
	var args []any
	if !since.IsZero() {
		args = append(args, since)
		where = append(where, fmt.Sprintf(`decided_at >= $%d`, len(args)))
	}
	if !until.IsZero() {
		args = append(args, until)
		where = append(where, fmt.Sprintf(`decided_at < $%d`, len(args)))
	}
	if len(where) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(where, ` AND `), args
}

func (s *Store) scan(ctx context.Context, q string, args []any, fn func(*audit.Trace) error) error {
	rows, err := s.pool.Query(ctx, q, args...)
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
