package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
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
	f = s.mask.Filter(f) // a search by a masked field looks for the masked value
	cur, err := f.Normalize()
	if err != nil {
		return audit.Page{}, err
	}
	w := newWhere()
	q := audit.PageQuery(f, cur, `t.body, t.report`, w)
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
	return s.scan(ctx, `SELECT body, report FROM traces`+where+` ORDER BY decided_at, id`, args, fn)
}

// ReplayRows streams what replay reads of the traces in [since, until),
// oldest first (audit.RowSource).
func (s *Store) ReplayRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	where, args := timeRange(since, until)
	rows, err := s.r.QueryContext(ctx, `SELECT id, decided_at, session_id, tags, context, report_status,
		policy_name, policy_version, policy_outcome, fired, report, json_extract(body, '$.memory') FROM traces`+where+` ORDER BY decided_at, id`, args...)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	defer rows.Close()
	var micros int64
	return audit.ScanReplayRows(rows, &micros, func() time.Time { return time.UnixMicro(micros) }, fn)
}

// CounterRows streams what counters read of the traces in [since, until)
// (audit.RowSource) in commit order, which is oldest first but for
// decisions committed out of their order (within the request timeout).
// Reading the table in its own order costs one pass over its pages; the
// time index's order costs a lookup in the table per trace, which was
// most of a backfill's reading.
func (s *Store) CounterRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	w := counterWhere(since, until)
	// fired and context cast to BLOBs: the driver's buffers become the
	// row's, with no copy.
	err := s.rawRows(ctx, `SELECT id, decided_at, report_status, policy_outcome, CAST(fired AS BLOB), CAST(context AS BLOB), report FROM traces`+
		w.SQL()+` ORDER BY seq`, w.Args(), 7, func(d []driver.Value) error {
		r, err := counterRow(d)
		if err != nil {
			return err
		}
		if r.Report, err = ownBytes(d[6]); err != nil {
			return fmt.Errorf("read trace %s: report: %w", r.ID, err)
		}
		return fn(r)
	})
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	return nil
}

// counterRow is the first six columns of a counters' read (id, decided_at,
// report_status, policy_outcome, fired, context) from rawRows.
func counterRow(d []driver.Value) (*audit.ReplayRow, error) {
	r := &audit.ReplayRow{}
	var err error
	if r.ID, err = asString(d[0]); err != nil {
		return nil, fmt.Errorf("read trace: id: %w", err)
	}
	micros, err := asInt(d[1])
	if err != nil {
		return nil, fmt.Errorf("read trace %s: decided_at: %w", r.ID, err)
	}
	var outcome string
	if r.ReportStatus, err = asString(d[2]); err != nil {
		return nil, fmt.Errorf("read trace %s: report_status: %w", r.ID, err)
	}
	if outcome, err = asString(d[3]); err != nil {
		return nil, fmt.Errorf("read trace %s: policy_outcome: %w", r.ID, err)
	}
	if r.FiredRules, err = ownBytes(d[4]); err != nil {
		return nil, fmt.Errorf("read trace %s: fired: %w", r.ID, err)
	}
	if r.Context, err = ownBytes(d[5]); err != nil {
		return nil, fmt.Errorf("read trace %s: context: %w", r.ID, err)
	}
	r.DecidedAt, r.Outcome = time.UnixMicro(micros).UTC(), engine.Outcome(outcome)
	return r, nil
}

// counterWhere selects the traces in [since, until) for a read in commit
// order: every trace decided at or after since is at or after the first
// such trace in commit order, so the table is read from there (that trace
// found in the time index, not by reading the table from its start; none:
// seq >= NULL holds for no row).
func counterWhere(since, until time.Time) *audit.Where {
	w := newWhere()
	if !since.IsZero() {
		w.Add(`seq >= (SELECT min(seq) FROM traces INDEXED BY traces_time WHERE decided_at >= ?)`, w.Time(since))
	}
	w.TimeRange(`decided_at`, since, until)
	return w
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

// newWhere starts a WHERE clause in SQLite's placeholders; times are
// stored as Unix microseconds.
func newWhere() *audit.Where {
	return &audit.Where{Placeholder: audit.QuestionMark, Time: func(t time.Time) any { return t.UnixMicro() }}
}

func timeRange(since, until time.Time) (string, []any) {
	w := newWhere()
	w.TimeRange(`decided_at`, since, until)
	return w.SQL(), w.Args()
}

func (s *Store) scan(ctx context.Context, q string, args []any, fn func(*audit.Trace) error) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	defer rows.Close()
	return audit.ScanRows(rows, fn)
}
