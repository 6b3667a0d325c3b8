package audit

import (
	"context"
	"time"
)

// ReplicaTail is implemented by a log several replicas share (PostgreSQL):
// what a replica's counters read to follow the decisions the other replicas
// record, each read in full once (see counters.Tail).
type ReplicaTail interface {
	// OthersSince calls fn with the id and decision time of every trace
	// decided at or after since that this store's own writers did not
	// append (those the replica counted when it recorded them).
	OthersSince(ctx context.Context, since time.Time, fn func(id string, decidedAt time.Time) error) error
	// CounterRowsByID streams what CounterRows reads of the traces with
	// these ids, in no particular order.
	CounterRowsByID(ctx context.Context, ids []string, fn func(*ReplayRow) error) error
}
