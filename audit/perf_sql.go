package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/engine"
)

var _ PerformanceReader = (*LoopSQL)(nil)

// RulePerformance reads every label, then tallies the traces of the window
// in one aggregate pass (decisions grouped by policy, outcome and fired
// rules, counted inside the database), and reads back, through the id,
// session and user indexes, only the decisions that have a label: those
// move from unlabelled to their label.
func (l *LoopSQL) RulePerformance(ctx context.Context, f PerfFilter) (*Performance, error) {
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return nil, fmt.Errorf("%w: since must be before until", ErrInvalid)
	}
	idx := NewLabelIndex()
	if err := l.EachLabel(ctx, func(lb *Label) error { idx.Add(lb); return nil }); err != nil {
		return nil, err
	}
	idx.Seal()
	var where string
	var args []any
	sep := ` WHERE `
	if !f.Since.IsZero() {
		where += sep + `decided_at >= ?`
		args, sep = append(args, l.TimeArg(f.Since)), ` AND `
	}
	if !f.Until.IsZero() {
		where += sep + `decided_at < ?`
		args, sep = append(args, l.TimeArg(f.Until)), ` AND `
	}
	if f.Policy != "" {
		where += sep + `policy_name = ?`
		args = append(args, f.Policy)
	}
	tally := NewPerfTally()
	fired := l.textOf("fired")
	var (
		policy, outcome string
		raw             []byte
		n               int64
		ids             []string
	)
	err := l.Read.Query(ctx, `SELECT policy_name, policy_outcome, `+fired+`, COUNT(*) FROM traces`+where+
		` GROUP BY policy_name, policy_outcome, `+fired, args, func(scan func(...any) error) error {
		if err := scan(&policy, &outcome, &raw, &n); err != nil {
			return fmt.Errorf("read decision counts: %w", err)
		}
		var err error
		if ids, err = FiredIDs(raw, ids[:0]); err != nil {
			return fmt.Errorf("fired rules %.60q: %w", raw, err)
		}
		tally.AddN(policy, engine.Outcome(outcome), ids, "", n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rule performance: %w", err)
	}
	if idx.Len() > 0 {
		if err := l.tallyLabelled(ctx, idx, tally, where, args); err != nil {
			return nil, err
		}
	}
	rules, policies := tally.Result()
	return &Performance{Since: utcOrZero(f.Since), Until: utcOrZero(f.Until), Decisions: tally.Decisions(),
		Labels: idx.Len(), Rules: rules, Policies: policies}, nil
}

// tallyLabelled moves the labelled decisions of the window from unlabelled
// to the label in force on each.
func (l *LoopSQL) tallyLabelled(ctx context.Context, idx *LabelIndex, tally *PerfTally, where string, args []any) error {
	cond := `(id IN (SELECT value FROM label_heads WHERE target = 'decision')
		OR session_id IN (SELECT value FROM label_heads WHERE target = 'session')
		OR user_id IN (SELECT value FROM label_heads WHERE target = 'user'))`
	if where == "" {
		where = ` WHERE ` + cond
	} else {
		where += ` AND ` + cond
	}
	var (
		id, session, user, policy, outcome string
		at                                 int64
		fired                              []byte
		ids                                []string
	)
	err := l.Read.Query(ctx, `SELECT id, `+l.MicrosOf("decided_at")+`, session_id, user_id, policy_name, policy_outcome, fired FROM traces`+where,
		args, func(scan func(...any) error) error {
			if err := scan(&id, &at, &session, &user, &policy, &outcome, &fired); err != nil {
				return fmt.Errorf("read labelled decision: %w", err)
			}
			label := idx.Label(id, session, user, at)
			if label == "" {
				return nil
			}
			var err error
			if ids, err = FiredIDs(fired, ids[:0]); err != nil {
				return fmt.Errorf("decision %s: fired rules: %w", id, err)
			}
			tally.AddN(policy, engine.Outcome(outcome), ids, "", -1)
			tally.AddN(policy, engine.Outcome(outcome), ids, label, 1)
			return nil
		})
	if err != nil {
		return fmt.Errorf("rule performance: labelled decisions: %w", err)
	}
	return nil
}

// textOf is the SQL of a JSON column as text, which SQLite stores anyway.
func (l *LoopSQL) textOf(col string) string {
	if l.TextOf == nil {
		return col
	}
	return l.TextOf(col)
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// FiredIDs reads a stored fired column (a JSON array of rule ids) into dst,
// each id once. The usual column, written by EncodeRow without escapes, is
// split in place; anything else goes through encoding/json.
func FiredIDs(b []byte, dst []string) ([]string, error) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return dst, fmt.Errorf("not a JSON array: %.40q", b)
	}
	inner := b[1 : len(b)-1]
	if len(inner) == 0 {
		return dst, nil
	}
	if bytes.IndexByte(inner, '\\') >= 0 || bytes.IndexAny(inner, " \t\r\n") >= 0 {
		var all []string
		if err := json.Unmarshal(b, &all); err != nil {
			return dst, err
		}
		for _, id := range all {
			dst = appendOnce(dst, id)
		}
		return dst, nil
	}
	for len(inner) > 0 {
		if inner[0] != '"' {
			return dst, fmt.Errorf("not an array of strings: %.40q", b)
		}
		end := bytes.IndexByte(inner[1:], '"')
		if end < 0 {
			return dst, fmt.Errorf("unterminated string: %.40q", b)
		}
		dst = appendOnce(dst, string(inner[1:1+end]))
		inner = inner[2+end:]
		if len(inner) > 0 {
			if inner[0] != ',' {
				return dst, fmt.Errorf("not an array of strings: %.40q", b)
			}
			inner = inner[1:]
		}
	}
	return dst, nil
}

func appendOnce(dst []string, id string) []string {
	for _, d := range dst {
		if d == id {
			return dst
		}
	}
	return append(dst, id)
}

// LabelsInForce returns the label in force on each labelled decision of
// [since, until) (zero: open), by decision id: what a label-aware backtest
// needs, read through the id, session and user indexes only.
func (l *LoopSQL) LabelsInForce(ctx context.Context, since, until time.Time) (map[string]string, error) {
	idx := NewLabelIndex()
	if err := l.EachLabel(ctx, func(lb *Label) error { idx.Add(lb); return nil }); err != nil {
		return nil, err
	}
	idx.Seal()
	out := map[string]string{}
	if idx.Len() == 0 {
		return out, nil
	}
	q := `SELECT id, ` + l.MicrosOf("decided_at") + `, session_id, user_id FROM traces
		WHERE (id IN (SELECT value FROM label_heads WHERE target = 'decision')
		OR session_id IN (SELECT value FROM label_heads WHERE target = 'session')
		OR user_id IN (SELECT value FROM label_heads WHERE target = 'user'))`
	var args []any
	if !since.IsZero() {
		q += ` AND decided_at >= ?`
		args = append(args, l.TimeArg(since))
	}
	if !until.IsZero() {
		q += ` AND decided_at < ?`
		args = append(args, l.TimeArg(until))
	}
	var id, session, user string
	var at int64
	err := l.Read.Query(ctx, q, args, func(scan func(...any) error) error {
		if err := scan(&id, &at, &session, &user); err != nil {
			return fmt.Errorf("read labelled decision: %w", err)
		}
		if label := idx.Label(id, session, user, at); label != "" {
			out[id] = label
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("labels in force: %w", err)
	}
	return out, nil
}
