package counters

import (
	"context"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// replicaTail follows, for Tail, the decisions other replicas record in a
// log that lists them apart (audit.ReplicaTail): each poll lists the ids
// decided since the last poll began, less Lookback, that other replicas
// appended, and reads and decodes in full only those it has not read yet.
// A trace is thus read in full once, and this replica's own never: before,
// every poll read and decoded every trace of the last Lookback (about 41
// times each at the default 10 s and 250 ms), its own included.
type replicaTail struct {
	src  audit.ReplicaTail
	read map[string]int64 // ids read in full -> decided_at (µs), while within the window
}

// poll observes into c the other replicas' decisions decided at or after
// since that it has not read yet, and forgets the ids decided before since.
func (rt *replicaTail) poll(ctx context.Context, c *Counters, since time.Time) error {
	var ids []string
	err := rt.src.OthersSince(ctx, since, func(id string, at time.Time) error {
		if _, done := rt.read[id]; !done {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	const chunk = 256
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		err := rt.src.CounterRowsByID(ctx, ids[:n], func(r *audit.ReplayRow) error {
			rt.read[r.ID] = r.DecidedAt.UnixMicro()
			if p, ok := pastOf(r, readFull, nil); ok { // full decodes: a state installed meanwhile may read checks
				c.Observe(r.ID, p)
			}
			return nil
		})
		if err != nil {
			return err
		}
		ids = ids[n:]
	}
	floor := since.UnixMicro()
	for id, at := range rt.read {
		if at < floor {
			delete(rt.read, id)
		}
	}
	return nil
}
