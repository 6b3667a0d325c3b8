package audit

import (
	"context"
	"fmt"
	"time"
)

const labelCols = `id, target, value, label, reason, occurred_at, recorded_at, by_key`

func scanLabel(scan func(dest ...any) error) (*Label, error) {
	var l Label
	var occurred, recorded int64
	if err := scan(&l.ID, &l.Target, &l.Value, &l.Label, &l.Reason, &occurred, &recorded, &l.By); err != nil {
		return nil, fmt.Errorf("read label: %w", err)
	}
	l.OccurredAt, l.RecordedAt = micros(occurred), micros(recorded)
	return &l, nil
}

// AddLabels stores labels, each on its own; see the Labels interface.
func (l *LoopSQL) AddLabels(ctx context.Context, labels []Label) ([]LabelResult, error) {
	if l.Tx == nil {
		return nil, ErrReadOnly
	}
	if len(labels) > MaxLabels {
		return nil, fmt.Errorf("%w: %d labels in one call, at most %d", ErrInvalid, len(labels), MaxLabels)
	}
	now := time.Now()
	var out []LabelResult
	err := l.Tx(ctx, func(db LoopDB) error {
		out = make([]LabelResult, len(labels))
		for i, lb := range labels {
			out[i] = l.addLabel(ctx, db, lb, now)
			if out[i].Err != nil && !IsLoopError(out[i].Err) {
				return out[i].Err // the database failed: the transaction is lost
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add %d labels: %w", len(labels), err)
	}
	return out, nil
}

// targetQuery asks whether a label's target has at least one decision.
var targetQuery = map[string]string{
	TargetDecision: `SELECT 1 FROM traces WHERE id = ?`,
	TargetSession:  `SELECT 1 FROM traces WHERE session_id = ? LIMIT 1`,
	TargetUser:     `SELECT 1 FROM traces WHERE user_id = ? LIMIT 1`,
}

// addLabel stores one label in a transaction, unless it repeats the
// target's current label. Errors of the label itself are in the result;
// any other error means the transaction failed.
func (l *LoopSQL) addLabel(ctx context.Context, db LoopDB, lb Label, now time.Time) LabelResult {
	given := !lb.OccurredAt.IsZero()
	if err := CheckLabel(&lb, now); err != nil {
		return LabelResult{Err: err}
	}
	found := false
	if err := db.Query(ctx, targetQuery[lb.Target], []any{lb.Value}, func(func(...any) error) error {
		found = true
		return nil
	}); err != nil {
		return LabelResult{Err: fmt.Errorf("look up %s %s: %w", lb.Target, lb.Value, err)}
	}
	if !found {
		return LabelResult{Err: fmt.Errorf("%w: no decision for %s %q", ErrNotFound, lb.Target, lb.Value)}
	}
	// The head row serializes labels of one target: the UPDATE holds its
	// lock (PostgreSQL) until commit; SQLite writes one at a time anyway.
	if _, err := db.Exec(ctx, `INSERT INTO label_heads (target, value, label_id) VALUES (?, ?, 0) ON CONFLICT DO NOTHING`,
		lb.Target, lb.Value); err != nil {
		return LabelResult{Err: fmt.Errorf("label head of %s %s: %w", lb.Target, lb.Value, err)}
	}
	if _, err := db.Exec(ctx, `UPDATE label_heads SET label_id = label_id WHERE target = ? AND value = ?`,
		lb.Target, lb.Value); err != nil {
		return LabelResult{Err: fmt.Errorf("lock label head of %s %s: %w", lb.Target, lb.Value, err)}
	}
	var head *Label
	if err := db.Query(ctx, `SELECT `+labelCols+` FROM labels WHERE id = (SELECT label_id FROM label_heads WHERE target = ? AND value = ?)`,
		[]any{lb.Target, lb.Value}, func(scan func(...any) error) (err error) {
			head, err = scanLabel(scan)
			return err
		}); err != nil {
		return LabelResult{Err: fmt.Errorf("read label of %s %s: %w", lb.Target, lb.Value, err)}
	}
	if head != nil && head.Label == lb.Label && head.Reason == lb.Reason && (!given || head.OccurredAt.Equal(lb.OccurredAt)) {
		return LabelResult{Label: head, Duplicate: true}
	}
	if err := db.Query(ctx, `INSERT INTO labels (target, value, label, reason, occurred_at, recorded_at, by_key)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		[]any{lb.Target, lb.Value, lb.Label, lb.Reason, lb.OccurredAt.UnixMicro(), lb.RecordedAt.UnixMicro(), lb.By},
		func(scan func(...any) error) error { return scan(&lb.ID) }); err != nil {
		return LabelResult{Err: fmt.Errorf("insert label of %s %s: %w", lb.Target, lb.Value, err)}
	}
	if _, err := db.Exec(ctx, `UPDATE label_heads SET label_id = ? WHERE target = ? AND value = ?`,
		lb.ID, lb.Target, lb.Value); err != nil {
		return LabelResult{Err: fmt.Errorf("move label head of %s %s: %w", lb.Target, lb.Value, err)}
	}
	return LabelResult{Label: &lb}
}

// LabelsOf returns the labels that apply to a decision, oldest first.
func (l *LoopSQL) LabelsOf(ctx context.Context, t *Trace) ([]Label, error) {
	at := t.DecidedAt.UnixMicro()
	out := []Label{}
	err := l.Read.Query(ctx, `SELECT `+labelCols+` FROM labels
		WHERE (target = 'decision' AND value = ?)
		   OR (target = 'session' AND value = ? AND occurred_at >= ?)
		   OR (target = 'user' AND value = ? AND value <> '' AND occurred_at >= ?)
		ORDER BY id`, []any{t.ID, t.SessionID, at, t.UserID, at},
		func(scan func(...any) error) error {
			lb, err := scanLabel(scan)
			if err == nil {
				out = append(out, *lb)
			}
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("labels of decision %s: %w", t.ID, err)
	}
	return out, nil
}

// EachLabel calls fn for every label, oldest first.
func (l *LoopSQL) EachLabel(ctx context.Context, fn func(*Label) error) error {
	err := l.Read.Query(ctx, `SELECT `+labelCols+` FROM labels ORDER BY id`, nil,
		func(scan func(...any) error) error {
			lb, err := scanLabel(scan)
			if err != nil {
				return err
			}
			return fn(lb)
		})
	if err != nil {
		return fmt.Errorf("read labels: %w", err)
	}
	return nil
}
