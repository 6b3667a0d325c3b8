package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
)

// Get returns one trace by id.
func (s *Store) Get(ctx context.Context, id string) (*audit.Trace, error) {
	// its id's day, or -infinity: stored before schema 7 (partition.go)
	return s.one(ctx, `SELECT body::text, report FROM traces WHERE id = $1 AND (id_time = $2 OR id_time = '-infinity')`, id, idTime(id))
}

// FindIdempotent returns the trace a caller key stored under an idempotency key.
func (s *Store) FindIdempotent(ctx context.Context, keyID, idemKey string) (*audit.Trace, error) {
	if idemKey == "" {
		return nil, fmt.Errorf("%w: empty idempotency key", audit.ErrInvalid)
	}
	return s.one(ctx, `SELECT t.body::text, t.report FROM idempotency_keys k
		JOIN traces t ON t.id = k.id AND t.id_time = k.id_time
		WHERE k.key_id = $1 AND k.idempotency_key = $2`, keyID, idemKey)
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
	f = s.mask.Filter(f) // a search by a masked field looks for the masked value
	cur, err := f.Normalize()
	if err != nil {
		return audit.Page{}, err
	}
	w := newWhere()
	q := audit.PageQuery(f, cur, `t.body::text, t.report`, w)
	page, err := audit.CollectPage(f.Limit, func(fn func(*audit.Trace) error) error {
		return s.scan(ctx, q, w.Args(), fn)
	})
	if err != nil {
		return audit.Page{}, fmt.Errorf("query traces: %w", err)
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
		policy_name, policy_version, policy_outcome, fired::text, report, (body->'memory')::text FROM traces`+where+` ORDER BY decided_at, id`, args...)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	defer rows.Close()
	var at time.Time
	return audit.ScanReplayRows(rows, &at, func() time.Time { return at }, fn)
}

// CounterRows streams what counters read of the traces in [since, until),
// oldest first (audit.RowSource).
func (s *Store) CounterRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	where, args := timeRange(since, until)
	rows, err := s.pool.Query(ctx, `SELECT id, decided_at, report_status, policy_outcome, fired::text, context::text, report FROM traces`+
		where+` ORDER BY decided_at, id`, args...)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	defer rows.Close()
	var at time.Time
	return audit.ScanCounterRows(rows, &at, func() time.Time { return at }, fn)
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

// newWhere starts a WHERE clause in PostgreSQL's placeholders; times go
// to timestamptz columns as they are.
func newWhere() *audit.Where {
	return &audit.Where{Placeholder: audit.DollarN, Time: func(t time.Time) any { return t }}
}

func timeRange(since, until time.Time) (string, []any) {
	w := newWhere()
	w.TimeRange(`decided_at`, since, until)
	return w.SQL(), w.Args()
}

func (s *Store) scan(ctx context.Context, q string, args []any, fn func(*audit.Trace) error) error {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	defer rows.Close()
	return audit.ScanRows(rows, fn)
}
