package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// Store is the decision log. Implementations are safe for concurrent use.
//
// There is no update and no delete besides Prune: a trace, once appended, is
// what the auditor reads.
type Store interface {
	// Append stores a trace and returns only once it is durably committed.
	// Concurrent appends are committed together in one transaction (group
	// commit). It fills an empty ID (NewID) and a zero DecidedAt (now), and
	// truncates DecidedAt to microseconds in UTC. It returns ErrConflict when
	// the id, or the (KeyID, IdempotencyKey) pair, is already stored; the
	// caller then reads the stored trace with FindIdempotent. Any other error
	// means the trace may not be stored: the decision must not be answered.
	Append(ctx context.Context, t *Trace) error
	// Get returns the trace with this id, or ErrNotFound.
	Get(ctx context.Context, id string) (*Trace, error)
	// Query returns one page of traces matching f, newest first, with a
	// cursor for the next page (keyset pagination on decided_at, id).
	Query(ctx context.Context, f Filter) (Page, error)
	// FindIdempotent returns the trace a caller key stored under an
	// idempotency key, or ErrNotFound.
	FindIdempotent(ctx context.Context, keyID, idemKey string) (*Trace, error)
	// Export calls fn for every trace with since <= decided_at < until, oldest
	// first, streaming (a zero time leaves that end open). It stops at fn's
	// first error and returns it.
	Export(ctx context.Context, since, until time.Time, fn func(*Trace) error) error
	// Prune deletes the traces decided before a time and returns how many.
	Prune(ctx context.Context, before time.Time) (int64, error)
	// Ping checks that the log can be reached.
	Ping(ctx context.Context) error
	// Close stops taking appends, commits the pending ones, and releases
	// the database. Appends after Close return ErrClosed.
	Close() error
}

// Errors returned by stores; callers branch on them with errors.Is.
var (
	// ErrNotFound: no trace with this id or idempotency key.
	ErrNotFound = errors.New("audit: trace not found")
	// ErrConflict: a trace with this id, or this caller key and idempotency key, is already stored.
	ErrConflict = errors.New("audit: trace already stored")
	// ErrInvalid: a trace or a filter that cannot be stored or run (bad cursor, bad outcome, ...).
	ErrInvalid = errors.New("audit: invalid input")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("audit: store closed")
	// ErrReadOnly: the store was opened read-only.
	ErrReadOnly = errors.New("audit: store opened read-only")
)

// Options tune a store. The zero value is the production default.
type Options struct {
	// ReadOnly opens the log for reading only (replay, export): no
	// migrations run, and Append and Prune return ErrReadOnly.
	ReadOnly bool
	// MaxBatch caps how many appends one transaction commits (default 256).
	// 1 turns group commit off: one transaction per append (the baseline).
	MaxBatch int
	// Writers is how many batches may commit at once (default 1 for SQLite,
	// which has one writer anyway, 2 for PostgreSQL).
	Writers int
	// CheckpointKey signs the checkpoints the store writes itself (those of
	// retention); nil leaves them unsigned.
	CheckpointKey ed25519.PrivateKey
	// Mask masks trace fields before anything is stored, and the values of
	// searches by them (nil: none).
	Mask *Mask
}

// MaxBatchOrDefault is o.MaxBatch, or the default when unset.
func (o Options) MaxBatchOrDefault() int {
	if o.MaxBatch <= 0 {
		return 256
	}
	return o.MaxBatch
}

// prepare fills what Append fills, and validates.
func prepare(t *Trace, now time.Time) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	if t.DecidedAt.IsZero() {
		t.DecidedAt = now
	}
	t.DecidedAt = t.DecidedAt.UTC().Truncate(time.Microsecond)
	return t.Validate()
}

// RowSource is implemented by stores that can stream the columns replay
// needs without decoding whole traces, and count traces, so replay decodes
// on several cores and shows progress. Both shipped stores implement it.
type RowSource interface {
	// ReplayRows calls fn for every trace with since <= decided_at < until,
	// oldest first. The row and its slices are fn's to keep.
	ReplayRows(ctx context.Context, since, until time.Time, fn func(*ReplayRow) error) error
	// CounterRows is ReplayRows reading only what counters read: ID,
	// DecidedAt, ReportStatus, Outcome, FiredRules, Context and Report are
	// filled, the other fields left empty. Backfilling a counter reads
	// every trace of its window, so the columns it skips (the body's
	// memory above all) are most of the reading. The order is oldest first
	// or commit order (nearly the same: a trace commits within the request
	// timeout of its decision), as is cheaper for the store.
	CounterRows(ctx context.Context, since, until time.Time, fn func(*ReplayRow) error) error
	// Count returns how many traces have since <= decided_at < until.
	Count(ctx context.Context, since, until time.Time) (int64, error)
}

// LeanCounterSource is implemented by stores that can stream what counters
// read without the reports, for counters that read no report field but
// user_id, which traces keep in a column of its own (see
// engine.CounterDecl.ReadsReportOnly): the bulk of a row is its report.
type LeanCounterSource interface {
	// LeanCounterRows is CounterRows with UserID filled and Report left
	// out: ReportOmitted is set when the trace stored a report.
	LeanCounterRows(ctx context.Context, since, until time.Time, fn func(*ReplayRow) error) error
}

// ReportColumnSource is implemented by stores that also keep each trace's
// risk score and documented checks in columns of their own (SQLite; see
// Trace.RiskScore and Trace.CheckCodes), for counters that read no report
// field but user_id, risk_score and documented checks.
type ReportColumnSource interface {
	// ReportColumnRows is LeanCounterRows with RiskScore and CheckCodes
	// filled from those columns; for a trace stored without them (before
	// the columns, or with a report field masked) the report is read instead (Report
	// set, ReportOmitted false).
	ReportColumnRows(ctx context.Context, since, until time.Time, fn func(*ReplayRow) error) error
}

// ReplayRow is the part of a stored trace that replay reads, undecoded.
type ReplayRow struct {
	ID           string
	UserID       string // filled by LeanCounterRows only
	DecidedAt    time.Time
	SessionID    string
	Tags         []byte // JSON array of strings
	Context      []byte // JSON object, or empty
	ReportStatus string
	Policy       engine.PolicyRef
	Outcome      engine.Outcome // the policy's outcome: Trace.PolicyOutcome
	FiredRules   []byte         // JSON array of the live fired rule ids
	Report       []byte
	// ReportOmitted says a report was stored but not read (LeanCounterRows).
	ReportOmitted bool
	// RiskScore and CheckCodes are the trace's report columns
	// (ReportColumnRows); nil when not read.
	RiskScore  *int
	CheckCodes []byte
	Memory     []byte // JSON of the trace's memory (engine.Memory: the lists and counters it read); nil when none
}
