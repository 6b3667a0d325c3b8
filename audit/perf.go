package audit

import (
	"context"
	"sort"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// PerfFilter selects the decisions a rule performance report counts.
type PerfFilter struct {
	Since  time.Time // decided_at >= Since; zero: the oldest
	Until  time.Time // decided_at < Until; zero: open
	Policy string    // one live policy's name; empty: all
}

// RulePerf is one rule's record against the labels: precision is fraud
// over labelled fires, recall is the labelled-fraud decisions it fired on
// over all labelled-fraud decisions of its policy. The sole_ fields count
// only decisions where it was the one rule that fired; the credit fields
// split each labelled decision between the rules that fired on it (1/n
// each), so a rule that always fires beside a better one gets its share.
// A ratio with nothing to divide by is nil (JSON null).
type RulePerf struct {
	Policy              string   `json:"policy"`
	RuleID              string   `json:"rule_id"`
	Fires               int64    `json:"fires"`
	FiresFraud          int64    `json:"fires_fraud"`
	FiresLegitimate     int64    `json:"fires_legitimate"`
	Precision           *float64 `json:"precision"`
	Recall              *float64 `json:"recall"`
	SoleFires           int64    `json:"sole_fires"`
	SoleFiresFraud      int64    `json:"sole_fires_fraud"`
	SoleFiresLegitimate int64    `json:"sole_fires_legitimate"`
	SolePrecision       *float64 `json:"sole_precision"`
	SoleRecall          *float64 `json:"sole_recall"`
	FraudCredit         float64  `json:"fraud_credit"`
	LegitimateCredit    float64  `json:"legitimate_credit"`
}

// LabelCounts counts decisions by the label in force on them.
type LabelCounts struct {
	Fraud      int64 `json:"fraud"`
	Legitimate int64 `json:"legitimate"`
	Unlabelled int64 `json:"unlabelled"`
}

// PolicyPerf is one policy's outcome × label matrix (the policy's own
// outcome: would_be_outcome in monitor-only mode).
type PolicyPerf struct {
	Policy             string                         `json:"policy"`
	Decisions          int64                          `json:"decisions"`
	LabelledFraud      int64                          `json:"labelled_fraud"`
	LabelledLegitimate int64                          `json:"labelled_legitimate"`
	Matrix             map[engine.Outcome]LabelCounts `json:"matrix"`
}

// Performance is the rule performance report.
type Performance struct {
	Since     time.Time    `json:"since,omitzero"`
	Until     time.Time    `json:"until,omitzero"`
	Decisions int64        `json:"decisions"`
	Labels    int64        `json:"labels"` // labels read (all of them: labels arrive late)
	Rules     []RulePerf   `json:"rules"`
	Policies  []PolicyPerf `json:"policies"`
}

// PerformanceReader is implemented by stores that report rule performance
// in one pass over the log (both shipped stores).
type PerformanceReader interface {
	RulePerformance(ctx context.Context, f PerfFilter) (*Performance, error)
}

// LabelIndex answers which label is in force on a decision: the most
// recently recorded of its own label and its session's and user's labels
// with occurred_at at or after the decision.
type LabelIndex struct {
	n         int64
	decisions map[string]labelMark
	sessions  map[string]*timedLabels
	users     map[string]*timedLabels
}

type labelMark struct {
	id    int64
	fraud bool
}

// timedLabels are one session's or user's labels by occurred_at, with the
// latest-recorded label among those at index i or later (suffix maxima).
type timedLabels struct {
	at     []int64 // occurred_at, unix microseconds, ascending
	marks  []labelMark
	latest []labelMark // latest[i]: the largest id among marks[i:]
}

// NewLabelIndex returns an empty index; Add labels oldest first, then Seal.
func NewLabelIndex() *LabelIndex {
	return &LabelIndex{decisions: map[string]labelMark{}, sessions: map[string]*timedLabels{}, users: map[string]*timedLabels{}}
}

// Add indexes a label. Labels come in id order, so a later one replaces.
func (x *LabelIndex) Add(l *Label) {
	x.n++
	m := labelMark{id: l.ID, fraud: l.Label == LabelFraud}
	var into map[string]*timedLabels
	switch l.Target {
	case TargetDecision:
		x.decisions[l.Value] = m
		return
	case TargetSession:
		into = x.sessions
	case TargetUser:
		into = x.users
	default:
		return
	}
	tl := into[l.Value]
	if tl == nil {
		tl = &timedLabels{}
		into[l.Value] = tl
	}
	tl.at = append(tl.at, l.OccurredAt.UnixMicro())
	tl.marks = append(tl.marks, m)
}

// Len is how many labels were added.
func (x *LabelIndex) Len() int64 { return x.n }

// Seal sorts the session and user labels for lookups.
func (x *LabelIndex) Seal() {
	for _, m := range []map[string]*timedLabels{x.sessions, x.users} {
		for _, tl := range m {
			tl.seal()
		}
	}
}

func (tl *timedLabels) seal() {
	idx := make([]int, len(tl.at))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return tl.at[idx[a]] < tl.at[idx[b]] })
	at, marks := make([]int64, len(idx)), make([]labelMark, len(idx))
	for i, j := range idx {
		at[i], marks[i] = tl.at[j], tl.marks[j]
	}
	tl.at, tl.marks = at, marks
	tl.latest = make([]labelMark, len(marks))
	for i := len(marks) - 1; i >= 0; i-- {
		tl.latest[i] = marks[i]
		if i+1 < len(marks) && tl.latest[i+1].id > marks[i].id {
			tl.latest[i] = tl.latest[i+1]
		}
	}
}

// lookup is the latest-recorded label with occurred_at >= at.
func (tl *timedLabels) lookup(at int64) (labelMark, bool) {
	i := sort.Search(len(tl.at), func(i int) bool { return tl.at[i] >= at })
	if i == len(tl.at) {
		return labelMark{}, false
	}
	return tl.latest[i], true
}

// Label returns the label in force on a decision: fraud or legitimate, or
// "" when none applies. decidedAt is in unix microseconds.
func (x *LabelIndex) Label(id, sessionID, userID string, decidedAt int64) string {
	best, ok := x.decisions[id]
	if tl := x.sessions[sessionID]; tl != nil {
		if m, found := tl.lookup(decidedAt); found && (!ok || m.id > best.id) {
			best, ok = m, true
		}
	}
	if userID != "" {
		if tl := x.users[userID]; tl != nil {
			if m, found := tl.lookup(decidedAt); found && (!ok || m.id > best.id) {
				best, ok = m, true
			}
		}
	}
	switch {
	case !ok:
		return ""
	case best.fraud:
		return LabelFraud
	}
	return LabelLegitimate
}
