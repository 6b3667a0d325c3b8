package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// ClaimLapse is how long a claim on a review holds: after it, anyone may
// claim the review again.
const ClaimLapse = 30 * time.Minute

// Review statuses.
const (
	ReviewOpen     = "open"     // waiting for an analyst (claimed or not)
	ReviewResolved = "resolved" // an analyst gave the final word
)

// Review event kinds.
const (
	EventOpened   = "opened"
	EventClaimed  = "claimed"
	EventResolved = "resolved"
)

// Errors of the review queue, besides ErrNotFound and ErrInvalid.
var (
	// ErrResolved: the review was already resolved.
	ErrResolved = errors.New("audit: review already resolved")
	// ErrClaimed: another analyst holds a live claim on the review.
	ErrClaimed = errors.New("audit: review claimed by someone else")
)

// Review is the review a decision answered review opened: a record of its
// own beside the trace, which never changes.
type Review struct {
	DecisionID string           `json:"decision_id"`
	OpenedAt   time.Time        `json:"opened_at"` // the decision's decided_at
	SessionID  string           `json:"session_id"`
	UserID     string           `json:"user_id,omitempty"`
	Policy     engine.PolicyRef `json:"policy"`
	Rules      []string         `json:"rules"` // the live policy's fired rule ids
	Status     string           `json:"status"`
	// ClaimedBy and ClaimedUntil hold the last claim; it lapses at ClaimedUntil.
	ClaimedBy    string    `json:"claimed_by,omitempty"`
	ClaimedUntil time.Time `json:"claimed_until,omitzero"`
	// Resolution, ResolvedBy, ResolvedAt and Note are set once resolved.
	Resolution engine.Outcome `json:"resolution,omitempty"`
	ResolvedBy string         `json:"resolved_by,omitempty"`
	ResolvedAt time.Time      `json:"resolved_at,omitzero"`
	Note       string         `json:"note,omitempty"`
	// Events are the review's history, oldest first (filled by Review, not by Reviews).
	Events []ReviewEvent `json:"events,omitempty"`
}

// ClaimHeld reports whether a claim holds at now, and by whom.
func (r *Review) ClaimHeld(now time.Time) (string, bool) {
	if r.ClaimedBy == "" || !now.Before(r.ClaimedUntil) {
		return "", false
	}
	return r.ClaimedBy, true
}

// ReviewEvent is one step of a review: opened, claimed or resolved, by whom
// and when.
type ReviewEvent struct {
	Kind    string         `json:"kind"`
	Actor   string         `json:"actor"`
	At      time.Time      `json:"at"`
	Outcome engine.Outcome `json:"outcome,omitempty"` // resolved only
	Note    string         `json:"note,omitempty"`
}

// ReviewFilter selects reviews for Reviews. Empty fields match everything
// but Status, which defaults to open.
type ReviewFilter struct {
	Status string    // open (default) or resolved
	Policy string    // the live policy's name
	Rule   string    // a rule id that fired
	Since  time.Time // opened_at >= Since
	Limit  int       // 0: DefaultLimit; at most MaxLimit
	Cursor string    // ReviewPage.NextCursor of the previous page
}

// ReviewPage is one page of reviews, oldest opened first.
type ReviewPage struct {
	Reviews    []*Review `json:"reviews"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// Resolution is an analyst's final word on a review.
type Resolution struct {
	Outcome engine.Outcome // allow or deny
	Note    string
	By      string // who resolved it (the API key id)
	At      time.Time
}

// ReviewStats are the queue's gauges.
type ReviewStats struct {
	Open       int64
	OldestOpen time.Time // zero when none is open
}

// Reviews is the review queue of a decision log. Both shipped stores
// implement it; a review is opened by Append, in the trace's transaction,
// for every trace OpensReview selects.
type Reviews interface {
	// Reviews returns one page of reviews matching f, oldest opened first.
	Reviews(ctx context.Context, f ReviewFilter) (ReviewPage, error)
	// Review returns a decision's review with its events, or ErrNotFound
	// (no such decision, or it opened no review).
	Review(ctx context.Context, decisionID string) (*Review, error)
	// ClaimReview records that by works on the review from at for
	// ClaimLapse. It returns ErrNotFound, ErrResolved, or ErrClaimed when
	// someone else's claim holds at at. Claiming again renews a claim.
	ClaimReview(ctx context.Context, decisionID, by string, at time.Time) (*Review, error)
	// ResolveReview resolves an open review and writes its label (deny:
	// fraud, allow: legitimate, reason manual_review) in one transaction.
	// Of two concurrent resolves, across processes, exactly one succeeds;
	// the other returns ErrResolved. ErrClaimed when another's claim holds.
	ResolveReview(ctx context.Context, decisionID string, res Resolution) (*Review, error)
	// ReviewStats counts the open reviews and finds the oldest.
	ReviewStats(ctx context.Context) (ReviewStats, error)
}

// OpensReview reports whether appending t opens a review: it was answered
// review by a live policy, not in monitor-only mode.
func OpensReview(t *Trace) bool {
	return t.Outcome == engine.Review && !t.MonitorOnly
}

// Normalize checks a review filter and fills its defaults.
func (f *ReviewFilter) Normalize() (*Cursor, error) {
	switch f.Status {
	case "":
		f.Status = ReviewOpen
	case ReviewOpen, ReviewResolved:
	default:
		return nil, fmt.Errorf("%w: status %q is not open or resolved", ErrInvalid, f.Status)
	}
	switch {
	case f.Limit < 0 || f.Limit > MaxLimit:
		return nil, fmt.Errorf("%w: limit %d is outside 1..%d", ErrInvalid, f.Limit, MaxLimit)
	case f.Limit == 0:
		f.Limit = DefaultLimit
	}
	if f.Cursor == "" {
		return nil, nil
	}
	c, err := DecodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// checkResolution refuses an outcome other than allow or deny.
func (res Resolution) check() error {
	if res.Outcome != engine.Allow && res.Outcome != engine.Deny {
		return fmt.Errorf("%w: a review resolves to allow or deny, not %q", ErrInvalid, res.Outcome)
	}
	if len(res.Note) > MaxNote {
		return fmt.Errorf("%w: note longer than %d bytes", ErrInvalid, MaxNote)
	}
	return nil
}

// MaxNote bounds a review note and a label reason, in bytes.
const MaxNote = 4096
