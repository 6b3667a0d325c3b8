package audit

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"
)

// Label values.
const (
	LabelFraud      = "fraud"
	LabelLegitimate = "legitimate"
)

// Label targets: what a label names.
const (
	TargetDecision = "decision"
	TargetSession  = "session"
	TargetUser     = "user"
)

// ReasonManualReview is the reason of the label a resolved review writes.
const ReasonManualReview = "manual_review"

// MaxLabels bounds how many labels one AddLabels call takes.
const MaxLabels = 1000

// Label is a fraud label: the final word on a decision, or on every
// decision of a session or user decided up to OccurredAt. Labels are
// append-only: a later label for the same target supersedes the earlier,
// which stays in the history.
type Label struct {
	// ID is the label's sequence number, assigned when stored; later labels
	// have larger ids.
	ID     int64  `json:"id"`
	Target string `json:"target"` // decision, session or user
	Value  string `json:"value"`  // the decision id, session id or user id
	Label  string `json:"label"`  // fraud or legitimate
	Reason string `json:"reason,omitempty"`
	// OccurredAt is when the fraud (or the confirmation) happened; a session
	// or user label applies to decisions up to it. It defaults to RecordedAt.
	OccurredAt time.Time `json:"occurred_at"`
	RecordedAt time.Time `json:"recorded_at"`
	By         string    `json:"by,omitempty"` // the API key id, or "import"
}

// LabelResult is what AddLabels did with one label.
type LabelResult struct {
	Label *Label // the stored label (the earlier one for a duplicate)
	// Duplicate: the target's current label was already this one (same
	// label, reason and occurred_at): nothing was added.
	Duplicate bool
	// Err is this label's own error (ErrNotFound for an unknown target,
	// ErrInvalid); the others of the call are stored regardless.
	Err error
}

// Labels is the fraud-label side of a decision log.
type Labels interface {
	// AddLabels stores up to MaxLabels labels, each on its own: one
	// LabelResult per label, in order. The error is for the call as a
	// whole (the database failed); then nothing is taken as stored.
	AddLabels(ctx context.Context, labels []Label) ([]LabelResult, error)
	// LabelsOf returns the labels that apply to a decision (its own, and its
	// session's and user's up to their occurred_at), oldest first: the last
	// is the one in force.
	LabelsOf(ctx context.Context, t *Trace) ([]Label, error)
	// EachLabel calls fn for every label, oldest first.
	EachLabel(ctx context.Context, fn func(*Label) error) error
}

// CheckLabel validates a label and fills its defaults (OccurredAt from now,
// RecordedAt now).
func CheckLabel(l *Label, now time.Time) error {
	switch l.Target {
	case TargetDecision, TargetSession, TargetUser:
	default:
		return fmt.Errorf("%w: label target %q is not decision, session or user", ErrInvalid, l.Target)
	}
	switch {
	case l.Value == "":
		return fmt.Errorf("%w: label has no %s id", ErrInvalid, l.Target)
	case len(l.Value) > 256 || !utf8.ValidString(l.Value):
		return fmt.Errorf("%w: %s id is not UTF-8 of at most 256 bytes", ErrInvalid, l.Target)
	case l.Label != LabelFraud && l.Label != LabelLegitimate:
		return fmt.Errorf("%w: label %q is not fraud or legitimate", ErrInvalid, l.Label)
	case len(l.Reason) > MaxNote || !utf8.ValidString(l.Reason):
		return fmt.Errorf("%w: reason is not UTF-8 of at most %d bytes", ErrInvalid, MaxNote)
	}
	l.RecordedAt = now.UTC().Truncate(time.Microsecond)
	if l.OccurredAt.IsZero() {
		l.OccurredAt = l.RecordedAt
	}
	l.OccurredAt = l.OccurredAt.UTC().Truncate(time.Microsecond)
	return nil
}
