package counters

import (
	"context"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// Tail keeps the counters in step with the decisions other replicas record
// in a shared log: every interval it reads the rows decided since its last
// poll began, less Lookback (a decision is committed after it is decided,
// within the request timeout), and observes each; ids seen lately are
// counted once, so this replica's own decisions (observed when recorded)
// and rows read twice count once. When src lists other replicas' traces
// apart (audit.ReplicaTail, PostgreSQL), only those are read, each in full
// once (replicaTail). report, when not nil, gets each failure; the next
// poll retries from the same place. It returns when ctx ends.
func (c *Counters) Tail(ctx context.Context, src audit.RowSource, every time.Duration, report func(error)) {
	last := time.Now()
	var rt *replicaTail
	if others, ok := src.(audit.ReplicaTail); ok {
		rt = &replicaTail{src: others, read: map[string]int64{}}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		if rt != nil {
			if err := rt.poll(ctx, c, last.Add(-c.cfg.Lookback)); err != nil {
				if ctx.Err() == nil && report != nil {
					report(err)
				}
				continue
			}
			last = start
			continue
		}
		// Full decodes: a state installed during the poll may read checks.
		err := feed(ctx, src, last.Add(-c.cfg.Lookback), time.Time{}, readFull, func(batch []decoded) {
			for _, d := range batch {
				c.Observe(d.id, d.past)
			}
		}, func(int64) error { return nil })
		if err != nil {
			if ctx.Err() == nil && report != nil {
				report(err)
			}
			continue
		}
		last = start
	}
}
