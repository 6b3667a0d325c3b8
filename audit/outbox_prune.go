package audit

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// OutboxPruner is a decision log whose webhook outbox retention prunes.
type OutboxPruner interface {
	// PruneOutbox deletes the webhook events raised before a time that
	// no delivery waits on, with their deliveries and attempts, and returns
	// how many events it deleted. now is the current time: an event never
	// fanned out is kept while it is younger than FanOutWindow at now.
	PruneOutbox(ctx context.Context, before, now time.Time) (int64, error)
}

var _ OutboxPruner = (*LoopSQL)(nil)

// outboxPruneChunk is how many events one transaction of PruneOutbox
// deletes (with their deliveries: one per endpoint that took each).
const outboxPruneChunk = 256

// PruneOutbox deletes, a chunk of events per transaction, the events raised
// before a time that are done with: fanned out and with every delivery
// delivered or failed (or none: no endpoint took them), or never fanned out
// and older than FanOutWindow at now (no endpoint added later gets them).
// An event with a pending delivery is kept however old, with all its
// deliveries and attempts; what is kept lists exactly as before.
//
// Events are looked for up to the first one raised at or after before (in
// the order they were stored, which is close to the order they were raised),
// so each run reads only the old end of the table; an old event stored after
// a newer one waits for a later run.
func (l *LoopSQL) PruneOutbox(ctx context.Context, before, now time.Time) (int64, error) {
	if l.Tx == nil {
		return 0, ErrReadOnly
	}
	horizon, err := l.outboxHorizon(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("prune webhook outbox: %w", err)
	}
	unfannedBefore := now.Add(-FanOutWindow)
	if before.Before(unfannedBefore) {
		unfannedBefore = before
	}
	var total int64
	after := int64(0) // events at or below it were looked at already
	for {
		seqs, err := l.outboxPrunable(ctx, after, horizon, before, unfannedBefore)
		if err != nil {
			return total, fmt.Errorf("prune webhook outbox: %w", err)
		}
		if len(seqs) == 0 {
			return total, nil
		}
		n, err := l.pruneEvents(ctx, seqs)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune webhook outbox: events %d..%d: %w", seqs[0], seqs[len(seqs)-1], err)
		}
		if len(seqs) < outboxPruneChunk {
			return total, nil
		}
		after = seqs[len(seqs)-1]
	}
}

// outboxHorizon is the seq of the first event raised at or after before, or
// one past the last event.
func (l *LoopSQL) outboxHorizon(ctx context.Context, before time.Time) (int64, error) {
	var horizon int64 = -1
	if err := l.Read.Query(ctx, `SELECT seq FROM webhook_events WHERE at >= ? ORDER BY seq LIMIT 1`,
		[]any{before.UnixMicro()}, func(scan func(...any) error) error { return scan(&horizon) }); err != nil {
		return 0, fmt.Errorf("find the first event kept: %w", err)
	}
	if horizon >= 0 {
		return horizon, nil
	}
	if err := l.Read.Query(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM webhook_events`, nil,
		func(scan func(...any) error) error { return scan(&horizon) }); err != nil {
		return 0, fmt.Errorf("find the last event: %w", err)
	}
	return horizon, nil
}

// outboxPrunable lists up to a chunk of the events after seq after and
// before seq horizon that PruneOutbox may delete, in seq order. The write
// transaction checks again what could have changed since (pruneEvents).
func (l *LoopSQL) outboxPrunable(ctx context.Context, after, horizon int64, before, unfannedBefore time.Time) ([]int64, error) {
	var seqs []int64
	err := l.Read.Query(ctx, `SELECT e.seq FROM webhook_events e
		WHERE e.seq > ? AND e.seq < ? AND e.at < ? AND (e.fanned = 1 OR e.at < ?)
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = e.seq AND d.status = 'pending')
		ORDER BY e.seq LIMIT `+fmt.Sprint(outboxPruneChunk),
		[]any{after, horizon, before.UnixMicro(), unfannedBefore.UnixMicro()}, func(scan func(...any) error) error {
			var seq int64
			if err := scan(&seq); err != nil {
				return err
			}
			seqs = append(seqs, seq)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("find events to prune: %w", err)
	}
	return seqs, nil
}

// pruneEvents deletes, in one transaction, the given events and their
// deliveries and attempts, but for any event with a delivery pending now
// (sent again by hand since it was listed): that one is kept whole. The
// finished deliveries are first locked (an UPDATE that changes nothing:
// PostgreSQL's row locks; SQLite has one writer), so none of them turns
// pending between the read that lists them and their deletion.
func (l *LoopSQL) pruneEvents(ctx context.Context, seqs []int64) (int64, error) {
	var deleted int64
	err := l.Tx(ctx, func(db LoopDB) error {
		evIn, evArgs := inList(seqs)
		if _, err := db.Exec(ctx, `UPDATE webhook_deliveries SET status = status
			WHERE event_seq IN `+evIn+` AND status <> 'pending'`, evArgs...); err != nil {
			return fmt.Errorf("lock finished deliveries: %w", err)
		}
		type row struct{ id, seq int64 }
		var finished []row
		busy := map[int64]bool{} // events with a delivery pending now
		if err := db.Query(ctx, `SELECT id, event_seq, status FROM webhook_deliveries WHERE event_seq IN `+evIn+` ORDER BY id`, evArgs,
			func(scan func(...any) error) error {
				var r row
				var status string
				if err := scan(&r.id, &r.seq, &status); err != nil {
					return err
				}
				if status == DeliveryPending {
					busy[r.seq] = true
				} else {
					finished = append(finished, r)
				}
				return nil
			}); err != nil {
			return fmt.Errorf("read deliveries: %w", err)
		}
		var ids, done []int64
		for _, r := range finished {
			if !busy[r.seq] {
				ids = append(ids, r.id)
			}
		}
		for _, s := range seqs {
			if !busy[s] {
				done = append(done, s)
			}
		}
		if len(done) == 0 {
			deleted = 0
			return nil
		}
		var err error
		deleted, err = deleteOutboxRows(ctx, db, done, ids)
		return err
	})
	if err != nil {
		return 0, err
	}
	return deleted, nil
}

// deleteOutboxRows deletes the attempts and deliveries of ids, then the
// events of seqs that no delivery refers to any more.
func deleteOutboxRows(ctx context.Context, db LoopDB, seqs, ids []int64) (int64, error) {
	if len(ids) > 0 {
		idIn, idArgs := inList(ids)
		if _, err := db.Exec(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN `+idIn, idArgs...); err != nil {
			return 0, fmt.Errorf("delete attempts: %w", err)
		}
		if _, err := db.Exec(ctx, `DELETE FROM webhook_deliveries WHERE id IN `+idIn+` AND status <> 'pending'`, idArgs...); err != nil {
			return 0, fmt.Errorf("delete deliveries: %w", err)
		}
	}
	evIn, evArgs := inList(seqs)
	n, err := db.Exec(ctx, `DELETE FROM webhook_events WHERE seq IN `+evIn+`
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = webhook_events.seq)`, evArgs...)
	if err != nil {
		return 0, fmt.Errorf("delete events: %w", err)
	}
	return n, nil
}

// inList is "(?, ?, ...)" for ids, with the ids as arguments.
func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}
