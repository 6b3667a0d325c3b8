package audit

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

var _ Outbox = (*LoopSQL)(nil)

// FanOut creates the deliveries of the events not yet fanned out: one per
// endpoint that takes the event's type. Events are marked as they are
// fanned out (no cursor, so an event committed late is never skipped);
// two processes fanning out at once make each delivery once.
func (l *LoopSQL) FanOut(ctx context.Context, endpoints []Endpoint, now time.Time, limit int) (int, error) {
	if l.Tx == nil {
		return 0, ErrReadOnly
	}
	made := 0
	err := l.Tx(ctx, func(db LoopDB) error {
		type ev struct {
			seq, at int64
			typ     string
		}
		var evs []ev
		if err := db.Query(ctx, `SELECT seq, type, at FROM webhook_events WHERE fanned = 0 ORDER BY seq LIMIT `+strconv.Itoa(limit), nil,
			func(scan func(...any) error) error {
				var e ev
				if err := scan(&e.seq, &e.typ, &e.at); err != nil {
					return err
				}
				evs = append(evs, e)
				return nil
			}); err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		at := now.UnixMicro()
		stale := now.Add(-FanOutWindow).UnixMicro()
		for _, e := range evs {
			for _, ep := range endpoints {
				if e.at < stale || !takes(ep, e.typ) { // too old to be news: marked, not sent
					continue
				}
				n, err := db.Exec(ctx, `INSERT INTO webhook_deliveries (event_seq, endpoint, status, attempts, created_at, window_start, next_at, delivered_at, last_error)
					VALUES (?, ?, 'pending', 0, ?, ?, ?, 0, '') ON CONFLICT DO NOTHING`, e.seq, ep.ID, at, at, at)
				if err != nil {
					return fmt.Errorf("create delivery of event %d to %s: %w", e.seq, ep.ID, err)
				}
				made += int(n)
			}
			if _, err := db.Exec(ctx, `UPDATE webhook_events SET fanned = 1 WHERE seq = ?`, e.seq); err != nil {
				return fmt.Errorf("mark event %d: %w", e.seq, err)
			}
		}
		return nil
	})
	return made, err
}

// FanOutWindow is how old an event may be when it is first fanned out and
// still be sent: events queued while no deliverer ran (no endpoint
// configured) are not sent weeks later to an endpoint added since.
const FanOutWindow = 24 * time.Hour

func takes(ep Endpoint, typ string) bool {
	for _, t := range ep.Events {
		if t == typ {
			return true
		}
	}
	return false
}

const deliveryCols = `d.id, d.endpoint, e.event_id, e.type, e.decision_id, d.status, d.attempts, d.created_at, d.window_start, d.next_at, d.delivered_at, d.last_error, e.payload`

func scanDelivery(scan func(...any) error) (*Delivery, error) {
	var d Delivery
	var created, window, next, delivered int64
	var payload string
	if err := scan(&d.ID, &d.Endpoint, &d.EventID, &d.Type, &d.DecisionID, &d.Status, &d.Attempts, &created, &window, &next, &delivered, &d.LastError, &payload); err != nil {
		return nil, fmt.Errorf("read delivery: %w", err)
	}
	d.CreatedAt, d.WindowStart, d.DeliveredAt = micros(created), micros(window), micros(delivered)
	if d.Status == DeliveryPending {
		d.NextAt = micros(next)
	}
	d.lease = next
	d.Payload = []byte(payload)
	return &d, nil
}

// DueDeliveries leases pending deliveries due at now.
func (l *LoopSQL) DueDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Delivery, error) {
	if l.Tx == nil {
		return nil, ErrReadOnly
	}
	var due []*Delivery
	err := l.Read.Query(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.event_seq
		WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.next_at, d.id LIMIT `+strconv.Itoa(limit),
		[]any{now.UnixMicro()}, func(scan func(...any) error) error {
			d, err := scanDelivery(scan)
			if err == nil {
				due = append(due, d)
			}
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	until := now.Add(lease).UnixMicro()
	var leased []*Delivery
	for _, d := range due {
		var n int64
		err := l.Tx(ctx, func(db LoopDB) (err error) {
			n, err = db.Exec(ctx, `UPDATE webhook_deliveries SET next_at = ? WHERE id = ? AND status = 'pending' AND next_at = ?`, until, d.ID, d.lease)
			return err
		})
		if err != nil {
			return leased, fmt.Errorf("lease delivery %d: %w", d.ID, err)
		}
		if n == 1 { // else another process leased it first
			d.lease = until
			leased = append(leased, d)
		}
	}
	return leased, nil
}

// RecordAttempt records an attempt and the delivery's new state.
func (l *LoopSQL) RecordAttempt(ctx context.Context, d *Delivery, a Attempt, delivered bool, next time.Time) error {
	if l.Tx == nil {
		return ErrReadOnly
	}
	status, nextAt, deliveredAt := DeliveryPending, next.UnixMicro(), int64(0)
	switch {
	case delivered:
		status, nextAt, deliveredAt = DeliveryDelivered, 0, a.At.UnixMicro()
	case next.IsZero():
		status, nextAt = DeliveryFailed, 0
	}
	lastErr := a.Error
	if lastErr == "" && !delivered {
		lastErr = "HTTP " + strconv.Itoa(a.StatusCode)
	}
	return l.Tx(ctx, func(db LoopDB) error {
		if _, err := db.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, at, status_code, error, millis)
			SELECT ?, COALESCE(MAX(n), 0) + 1, ?, ?, ?, ? FROM webhook_attempts WHERE delivery_id = ?`,
			d.ID, a.At.UnixMicro(), a.StatusCode, a.Error, a.Millis, d.ID); err != nil {
			return fmt.Errorf("record attempt of delivery %d: %w", d.ID, err)
		}
		if _, err := db.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?, next_at = ?, delivered_at = ?, last_error = ?
			WHERE id = ?`, status, nextAt, deliveredAt, lastErr, d.ID); err != nil {
			return fmt.Errorf("update delivery %d: %w", d.ID, err)
		}
		return nil
	})
}

// Deliveries lists deliveries with their attempts, newest first.
func (l *LoopSQL) Deliveries(ctx context.Context, f DeliveryFilter) (DeliveryPage, error) {
	switch f.Status {
	case "", DeliveryPending, DeliveryDelivered, DeliveryFailed:
	default:
		return DeliveryPage{}, fmt.Errorf("%w: status %q is not pending, delivered or failed", ErrInvalid, f.Status)
	}
	switch {
	case f.Limit < 0 || f.Limit > MaxLimit:
		return DeliveryPage{}, fmt.Errorf("%w: limit %d is outside 1..%d", ErrInvalid, f.Limit, MaxLimit)
	case f.Limit == 0:
		f.Limit = DefaultLimit
	}
	q := `SELECT ` + deliveryCols + ` FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.event_seq WHERE 1 = 1`
	var args []any
	if f.Status != "" {
		q += ` AND d.status = ?`
		args = append(args, f.Status)
	}
	if f.Cursor != "" {
		before, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || before <= 0 {
			return DeliveryPage{}, fmt.Errorf("%w: malformed cursor", ErrInvalid)
		}
		q += ` AND d.id < ?`
		args = append(args, before)
	}
	q += ` ORDER BY d.id DESC LIMIT ` + strconv.Itoa(f.Limit+1)
	page := DeliveryPage{Deliveries: []*Delivery{}}
	if err := l.Read.Query(ctx, q, args, func(scan func(...any) error) error {
		d, err := scanDelivery(scan)
		if err == nil {
			page.Deliveries = append(page.Deliveries, d)
		}
		return err
	}); err != nil {
		return DeliveryPage{}, fmt.Errorf("list deliveries: %w", err)
	}
	if len(page.Deliveries) > f.Limit {
		page.Deliveries = page.Deliveries[:f.Limit]
		page.NextCursor = strconv.FormatInt(page.Deliveries[f.Limit-1].ID, 10)
	}
	for _, d := range page.Deliveries {
		if err := l.attempts(ctx, d); err != nil {
			return DeliveryPage{}, err
		}
	}
	return page, nil
}

func (l *LoopSQL) attempts(ctx context.Context, d *Delivery) error {
	return l.Read.Query(ctx, `SELECT at, status_code, error, millis FROM webhook_attempts WHERE delivery_id = ? ORDER BY n`,
		[]any{d.ID}, func(scan func(...any) error) error {
			var a Attempt
			var at int64
			if err := scan(&at, &a.StatusCode, &a.Error, &a.Millis); err != nil {
				return fmt.Errorf("read attempt of delivery %d: %w", d.ID, err)
			}
			a.At = micros(at)
			d.History = append(d.History, a)
			return nil
		})
}

// Redeliver makes a delivery pending again, due at now, with a new 24-hour
// retry window.
func (l *LoopSQL) Redeliver(ctx context.Context, id int64, now time.Time) (*Delivery, error) {
	if l.Tx == nil {
		return nil, ErrReadOnly
	}
	var out *Delivery
	err := l.Tx(ctx, func(db LoopDB) error {
		n, err := db.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_at = ?, window_start = ? WHERE id = ?`,
			now.UnixMicro(), now.UnixMicro(), id)
		if err != nil {
			return fmt.Errorf("redeliver %d: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: no delivery %d", ErrNotFound, id)
		}
		return db.Query(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.event_seq WHERE d.id = ?`,
			[]any{id}, func(scan func(...any) error) (err error) {
				out, err = scanDelivery(scan)
				return err
			})
	})
	return out, err
}
