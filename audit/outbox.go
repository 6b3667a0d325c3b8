package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// Webhook event types.
const (
	EventReviewOpened   = "review.opened"
	EventReviewResolved = "review.resolved"
	EventDecisionDenied = "decision.denied"
)

// EventTypes lists every webhook event type.
var EventTypes = []string{EventReviewOpened, EventReviewResolved, EventDecisionDenied}

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // waiting for its next attempt
	DeliveryDelivered = "delivered" // a 2xx answer
	DeliveryFailed    = "failed"    // given up (24 h of retries), until sent again
)

// Event is one webhook event as sent: written to the outbox in the
// transaction of what caused it (the trace, the resolve).
type Event struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	CreatedAt  time.Time       `json:"created_at"`
	DecisionID string          `json:"decision_id"`
	Data       json.RawMessage `json:"data"`
}

// eventData is an event's data member.
type eventData struct {
	Outcome    engine.Outcome   `json:"outcome,omitempty"`
	Policy     engine.PolicyRef `json:"policy"`
	SessionID  string           `json:"session_id"`
	UserID     string           `json:"user_id,omitempty"`
	Rules      []string         `json:"rules"`
	Resolution engine.Outcome   `json:"resolution,omitempty"`
	ResolvedBy string           `json:"resolved_by,omitempty"`
	Note       string           `json:"note,omitempty"`
}

// OutboxEvent is an event ready to store: its payload is the JSON sent.
type OutboxEvent struct {
	ID, Type, DecisionID string
	At                   int64 // unix microseconds
	Payload              string
}

// newOutboxEvent encodes an event.
func newOutboxEvent(typ, decisionID string, at time.Time, data eventData) (OutboxEvent, error) {
	if data.Rules == nil {
		data.Rules = []string{}
	}
	d, err := json.Marshal(data)
	if err != nil {
		return OutboxEvent{}, fmt.Errorf("encode %s event of %s: %w", typ, decisionID, err)
	}
	e := Event{ID: NewID(), Type: typ, CreatedAt: at.UTC().Truncate(time.Microsecond), DecisionID: decisionID, Data: d}
	p, err := json.Marshal(e)
	if err != nil {
		return OutboxEvent{}, fmt.Errorf("encode %s event of %s: %w", typ, decisionID, err)
	}
	return OutboxEvent{ID: e.ID, Type: typ, DecisionID: decisionID, At: e.CreatedAt.UnixMicro(), Payload: string(p)}, nil
}

// TraceEvents lists the events the stored traces of a batch raise:
// review.opened for each that OpensReview, decision.denied for each answered
// deny.
func TraceEvents(rows []*Row, stored func(i int) bool) ([]OutboxEvent, error) {
	var out []OutboxEvent
	for i, r := range rows {
		t := r.Trace
		if !stored(i) {
			continue
		}
		var types []string
		if OpensReview(t) {
			types = append(types, EventReviewOpened)
		}
		if t.Outcome == engine.Deny {
			types = append(types, EventDecisionDenied)
		}
		for _, typ := range types {
			e, err := newOutboxEvent(typ, t.ID, t.DecidedAt, eventData{Outcome: t.Outcome, Policy: t.Policy,
				SessionID: t.SessionID, UserID: t.UserID, Rules: r.Rules})
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// InsertEvents writes events in a transaction, one statement each.
func InsertEvents(ctx context.Context, db LoopDB, events []OutboxEvent) error {
	for _, e := range events {
		if _, err := db.Exec(ctx, `INSERT INTO webhook_events (event_id, type, decision_id, at, payload) VALUES (?, ?, ?, ?, ?)`,
			e.ID, e.Type, e.DecisionID, e.At, e.Payload); err != nil {
			return fmt.Errorf("queue %s event of %s: %w", e.Type, e.DecisionID, err)
		}
	}
	return nil
}

// Endpoint is a webhook receiver as the outbox knows it.
type Endpoint struct {
	ID     string   // stable name of the endpoint (from its URL)
	Events []string // the event types it receives
}

// Delivery is one event's delivery to one endpoint, with its attempts.
type Delivery struct {
	ID         int64     `json:"id"`
	Endpoint   string    `json:"endpoint"`
	EventID    string    `json:"event_id"`
	Type       string    `json:"type"`
	DecisionID string    `json:"decision_id"`
	Status     string    `json:"status"`
	Attempts   int       `json:"attempts"`
	CreatedAt  time.Time `json:"created_at"`
	// WindowStart is when the 24-hour retry window began: at creation, or
	// when it was sent again by hand.
	WindowStart time.Time `json:"window_start"`
	NextAt      time.Time `json:"next_attempt_at,omitzero"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// Payload is the JSON body sent.
	Payload json.RawMessage `json:"-"`
	// History lists the attempts, oldest first (Deliveries fills it).
	History []Attempt `json:"history,omitempty"`
	// Lease is the NextAt value this process leased the delivery with.
	lease int64
}

// Attempt is one try of a delivery.
type Attempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"` // 0: no answer
	Error      string    `json:"error,omitempty"`
	Millis     float64   `json:"duration_ms"`
}

// DeliveryFilter selects deliveries.
type DeliveryFilter struct {
	Status string // pending, delivered, failed; empty: all
	Limit  int
	Cursor string // NextCursor of the previous page
}

// DeliveryPage is one page of deliveries, newest first.
type DeliveryPage struct {
	Deliveries []*Delivery `json:"deliveries"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// Outbox is the webhook side of a decision log: the events written with
// traces and resolves, and their deliveries.
type Outbox interface {
	// FanOut creates the deliveries of events not yet fanned out to each
	// endpoint (up to limit events per endpoint), and returns how many. An
	// endpoint seen for the first time starts after the newest event.
	FanOut(ctx context.Context, endpoints []Endpoint, now time.Time, limit int) (int, error)
	// DueDeliveries leases up to limit pending deliveries due at now, for
	// lease: no other process takes them meanwhile.
	DueDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Delivery, error)
	// RecordAttempt records an attempt of a leased delivery and its new
	// state: delivered, or pending until next, or failed (next zero and
	// failed true).
	RecordAttempt(ctx context.Context, d *Delivery, a Attempt, delivered bool, next time.Time) error
	// Deliveries lists deliveries with their attempts, newest first.
	Deliveries(ctx context.Context, f DeliveryFilter) (DeliveryPage, error)
	// Redeliver makes a delivery pending again, due at now; ErrNotFound.
	Redeliver(ctx context.Context, id int64, now time.Time) (*Delivery, error)
}
