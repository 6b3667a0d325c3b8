package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// LoopDB is what the shared SQL of the review queue and the labels needs of
// a backend's connection or transaction. Statements are written with "?"
// placeholders; the backend rewrites them as it needs.
type LoopDB interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, q string, args ...any) (int64, error)
	// Query runs a query and calls fn for each row with the row's scan.
	Query(ctx context.Context, q string, args []any, fn func(scan func(dest ...any) error) error) error
}

// LoopSQL implements Reviews and Labels over a SQL backend. Its tables
// (reviews, review_rules, review_events, labels, label_heads) keep every
// time as unix microseconds, in both backends; it reads the traces table
// only by id, session_id and user_id.
type LoopSQL struct {
	// Read runs reads.
	Read LoopDB
	// Tx runs fn in one write transaction; nil for a read-only store.
	Tx func(ctx context.Context, fn func(LoopDB) error) error
	// MicrosOf is the SQL expression of a traces time column as unix
	// microseconds (SQLite stores them so; PostgreSQL converts).
	MicrosOf func(col string) string
	// TimeArg encodes a time argument compared with a traces time column.
	TimeArg func(time.Time) any
	// TextOf is the SQL of a traces JSON column as text, for grouping; nil
	// when the column is text already (SQLite).
	TextOf func(col string) string
}

var (
	_ Reviews = (*LoopSQL)(nil)
	_ Labels  = (*LoopSQL)(nil)
)

// ReviewOpening is the review row a trace opens (see OpensReview).
type ReviewOpening struct {
	DecisionID string
	OpenedAt   int64 // unix microseconds
	SessionID  string
	UserID     string
	Policy     engine.PolicyRef
	Rules      []string
	RulesJSON  string
}

// ReviewOpenings lists the reviews a committed batch opens: one per row that
// OpensReview and stored says was stored.
func ReviewOpenings(rows []*Row, stored func(i int) bool) []ReviewOpening {
	var out []ReviewOpening
	for i, r := range rows {
		if !OpensReview(r.Trace) || !stored(i) {
			continue
		}
		t := r.Trace
		rules := r.Rules
		if rules == nil {
			rules = []string{}
		}
		out = append(out, ReviewOpening{DecisionID: t.ID, OpenedAt: t.DecidedAt.UnixMicro(),
			SessionID: t.SessionID, UserID: t.UserID, Policy: t.Policy, Rules: rules, RulesJSON: string(r.FiredRules)})
	}
	return out
}

// OpenReviews writes the reviews of a batch in its transaction, one
// statement per row (the SQLite way; PostgreSQL batches them itself).
func OpenReviews(ctx context.Context, db LoopDB, ops []ReviewOpening) error {
	for _, o := range ops {
		n, err := db.Exec(ctx, `INSERT INTO reviews (decision_id, opened_at, session_id, user_id,
			policy_name, policy_version, rules, status, claimed_by, claimed_until, resolution, resolved_by, resolved_at, note)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'open', '', 0, '', '', 0, '') ON CONFLICT DO NOTHING`,
			o.DecisionID, o.OpenedAt, o.SessionID, o.UserID, o.Policy.Name, o.Policy.Version, o.RulesJSON)
		if err != nil {
			return fmt.Errorf("open review of %s: %w", o.DecisionID, err)
		}
		if n == 0 {
			continue
		}
		for _, rule := range o.Rules {
			if _, err := db.Exec(ctx, `INSERT INTO review_rules (rule_id, decision_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
				rule, o.DecisionID); err != nil {
				return fmt.Errorf("open review of %s: rule: %w", o.DecisionID, err)
			}
		}
		if _, err := db.Exec(ctx, `INSERT INTO review_events (decision_id, seq, kind, actor, at, outcome, note)
			VALUES (?, 1, 'opened', 'verdict', ?, '', '')`, o.DecisionID, o.OpenedAt); err != nil {
			return fmt.Errorf("open review of %s: event: %w", o.DecisionID, err)
		}
	}
	return nil
}

const reviewCols = `decision_id, opened_at, session_id, user_id, policy_name, policy_version, rules,
	status, claimed_by, claimed_until, resolution, resolved_by, resolved_at, note`

// scanReview reads the reviewCols of one row.
func scanReview(scan func(dest ...any) error) (*Review, error) {
	var r Review
	var opened, claimed, resolved int64
	var rules, resolution string
	if err := scan(&r.DecisionID, &opened, &r.SessionID, &r.UserID, &r.Policy.Name, &r.Policy.Version, &rules,
		&r.Status, &r.ClaimedBy, &claimed, &resolution, &r.ResolvedBy, &resolved, &r.Note); err != nil {
		return nil, fmt.Errorf("read review: %w", err)
	}
	r.OpenedAt = micros(opened)
	r.ClaimedUntil = micros(claimed)
	r.ResolvedAt = micros(resolved)
	r.Resolution = engine.Outcome(resolution)
	if err := json.Unmarshal([]byte(rules), &r.Rules); err != nil || r.Rules == nil {
		r.Rules = []string{}
	}
	return &r, nil
}

// micros is a stored unix-microseconds time; 0 is the zero time.
func micros(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
}

// Reviews returns one page of reviews; see the Reviews interface.
func (l *LoopSQL) Reviews(ctx context.Context, f ReviewFilter) (ReviewPage, error) {
	cur, err := f.Normalize()
	if err != nil {
		return ReviewPage{}, err
	}
	q := `SELECT ` + reviewCols + ` FROM reviews r WHERE status = ?`
	args := []any{f.Status}
	if f.Policy != "" {
		q += ` AND policy_name = ?`
		args = append(args, f.Policy)
	}
	if f.Rule != "" {
		q += ` AND EXISTS (SELECT 1 FROM review_rules x WHERE x.rule_id = ? AND x.decision_id = r.decision_id)`
		args = append(args, f.Rule)
	}
	if !f.Since.IsZero() {
		q += ` AND opened_at >= ?`
		args = append(args, f.Since.UnixMicro())
	}
	if cur != nil {
		q += ` AND (opened_at > ? OR (opened_at = ? AND decision_id > ?))`
		args = append(args, cur.DecidedAt.UnixMicro(), cur.DecidedAt.UnixMicro(), cur.ID)
	}
	q += fmt.Sprintf(` ORDER BY opened_at, decision_id LIMIT %d`, f.Limit+1)
	page := ReviewPage{Reviews: []*Review{}}
	err = l.Read.Query(ctx, q, args, func(scan func(...any) error) error {
		r, err := scanReview(scan)
		if err == nil {
			page.Reviews = append(page.Reviews, r)
		}
		return err
	})
	if err != nil {
		return ReviewPage{}, fmt.Errorf("list reviews: %w", err)
	}
	if len(page.Reviews) > f.Limit {
		page.Reviews = page.Reviews[:f.Limit]
		last := page.Reviews[f.Limit-1]
		page.NextCursor = EncodeCursor(&Trace{ID: last.DecisionID, DecidedAt: last.OpenedAt})
	}
	return page, nil
}

// Review returns a decision's review with its events.
func (l *LoopSQL) Review(ctx context.Context, decisionID string) (*Review, error) {
	return l.review(ctx, l.Read, decisionID)
}

func (l *LoopSQL) review(ctx context.Context, db LoopDB, decisionID string) (*Review, error) {
	var r *Review
	err := db.Query(ctx, `SELECT `+reviewCols+` FROM reviews WHERE decision_id = ?`, []any{decisionID},
		func(scan func(...any) error) (err error) {
			r, err = scanReview(scan)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("read review of %s: %w", decisionID, err)
	}
	if r == nil {
		return nil, fmt.Errorf("%w: decision %s has no review", ErrNotFound, decisionID)
	}
	err = db.Query(ctx, `SELECT kind, actor, at, outcome, note FROM review_events WHERE decision_id = ? ORDER BY seq`,
		[]any{decisionID}, func(scan func(...any) error) error {
			var e ReviewEvent
			var at int64
			var outcome string
			if err := scan(&e.Kind, &e.Actor, &at, &outcome, &e.Note); err != nil {
				return err
			}
			e.At, e.Outcome = micros(at), engine.Outcome(outcome)
			r.Events = append(r.Events, e)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read events of review %s: %w", decisionID, err)
	}
	return r, nil
}

// why explains an update that changed no row: the review is missing,
// resolved, or claimed by another at at.
func (l *LoopSQL) why(ctx context.Context, db LoopDB, decisionID string, at time.Time) error {
	r, err := l.review(ctx, db, decisionID)
	if err != nil {
		return err
	}
	if r.Status == ReviewResolved {
		return fmt.Errorf("%w: decision %s was resolved %s by %s", ErrResolved, decisionID, r.Resolution, r.ResolvedBy)
	}
	if by, ok := r.ClaimHeld(at); ok {
		return fmt.Errorf("%w: decision %s is claimed by %s until %s", ErrClaimed, decisionID, by, r.ClaimedUntil.Format(time.RFC3339))
	}
	return fmt.Errorf("review of %s changed meanwhile; retry", decisionID)
}

// addEvent appends an event to a review whose row the transaction holds.
func addEvent(ctx context.Context, db LoopDB, decisionID string, e ReviewEvent) error {
	_, err := db.Exec(ctx, `INSERT INTO review_events (decision_id, seq, kind, actor, at, outcome, note)
		SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ? FROM review_events WHERE decision_id = ?`,
		decisionID, e.Kind, e.Actor, e.At.UnixMicro(), string(e.Outcome), e.Note, decisionID)
	if err != nil {
		return fmt.Errorf("record %s event of review %s: %w", e.Kind, decisionID, err)
	}
	return nil
}

// ClaimReview records a claim; see the Reviews interface.
func (l *LoopSQL) ClaimReview(ctx context.Context, decisionID, by string, at time.Time) (*Review, error) {
	if l.Tx == nil {
		return nil, ErrReadOnly
	}
	if by == "" {
		return nil, fmt.Errorf("%w: a claim needs who claims", ErrInvalid)
	}
	at = at.UTC().Truncate(time.Microsecond)
	var out *Review
	err := l.Tx(ctx, func(db LoopDB) error {
		n, err := db.Exec(ctx, `UPDATE reviews SET claimed_by = ?, claimed_until = ?
			WHERE decision_id = ? AND status = 'open' AND (claimed_by = '' OR claimed_by = ? OR claimed_until <= ?)`,
			by, at.Add(ClaimLapse).UnixMicro(), decisionID, by, at.UnixMicro())
		if err != nil {
			return fmt.Errorf("claim review of %s: %w", decisionID, err)
		}
		if n == 0 {
			return l.why(ctx, db, decisionID, at)
		}
		if err := addEvent(ctx, db, decisionID, ReviewEvent{Kind: EventClaimed, Actor: by, At: at}); err != nil {
			return err
		}
		out, err = l.review(ctx, db, decisionID)
		return err
	})
	return out, err
}

// ResolveReview resolves a review and writes its label; see the Reviews interface.
func (l *LoopSQL) ResolveReview(ctx context.Context, decisionID string, res Resolution) (*Review, error) {
	if l.Tx == nil {
		return nil, ErrReadOnly
	}
	if err := res.check(); err != nil {
		return nil, err
	}
	if res.By == "" {
		return nil, fmt.Errorf("%w: a resolution needs who resolves", ErrInvalid)
	}
	at := res.At.UTC().Truncate(time.Microsecond)
	var out *Review
	err := l.Tx(ctx, func(db LoopDB) error {
		n, err := db.Exec(ctx, `UPDATE reviews SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ?, note = ?
			WHERE decision_id = ? AND status = 'open' AND (claimed_by = '' OR claimed_by = ? OR claimed_until <= ?)`,
			string(res.Outcome), res.By, at.UnixMicro(), res.Note, decisionID, res.By, at.UnixMicro())
		if err != nil {
			return fmt.Errorf("resolve review of %s: %w", decisionID, err)
		}
		if n == 0 {
			return l.why(ctx, db, decisionID, at)
		}
		if err := addEvent(ctx, db, decisionID, ReviewEvent{Kind: EventResolved, Actor: res.By, At: at, Outcome: res.Outcome, Note: res.Note}); err != nil {
			return err
		}
		label := Label{Target: TargetDecision, Value: decisionID, Label: LabelLegitimate,
			Reason: ReasonManualReview, OccurredAt: at, By: res.By}
		if res.Outcome == engine.Deny {
			label.Label = LabelFraud
		}
		if r := l.addLabel(ctx, db, label, at); r.Err != nil {
			return fmt.Errorf("label of review %s: %w", decisionID, r.Err)
		}
		if out, err = l.review(ctx, db, decisionID); err != nil {
			return err
		}
		ev, err := newOutboxEvent(EventReviewResolved, decisionID, at, eventData{Policy: out.Policy, SessionID: out.SessionID,
			UserID: out.UserID, Rules: out.Rules, Resolution: res.Outcome, ResolvedBy: res.By, Note: res.Note})
		if err != nil {
			return err
		}
		return InsertEvents(ctx, db, []OutboxEvent{ev})
	})
	return out, err
}

// ReviewStats counts open reviews and finds the oldest.
func (l *LoopSQL) ReviewStats(ctx context.Context) (ReviewStats, error) {
	var st ReviewStats
	var oldest int64
	err := l.Read.Query(ctx, `SELECT COUNT(*), COALESCE(MIN(opened_at), 0) FROM reviews WHERE status = 'open'`, nil,
		func(scan func(...any) error) error { return scan(&st.Open, &oldest) })
	if err != nil {
		return ReviewStats{}, fmt.Errorf("review stats: %w", err)
	}
	st.OldestOpen = micros(oldest)
	return st, nil
}

// IsLoopError reports whether err is one of the review and label errors a
// caller answers on its own (not a failure of the log).
func IsLoopError(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrResolved) || errors.Is(err, ErrClaimed) || errors.Is(err, ErrInvalid)
}
