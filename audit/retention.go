package audit

import (
	"context"
	"fmt"
	"time"
)

// Retention prunes traces older than Keep from a store, in the background,
// and the webhook events older than Keep that nothing waits on.
type Retention struct {
	Store Store
	// Keep is how long traces are kept; zero or less keeps them forever.
	Keep time.Duration
	// Every is how often to prune (default 1h). The first prune runs at once.
	Every time.Duration
	// Report, when set, is called after each prune with the count or the error.
	Report func(pruned int64, before time.Time, err error)
	// ReportOutbox, when set, is called after each prune of the webhook
	// outbox (stores that are an OutboxPruner) with the count of events
	// deleted or the error.
	ReportOutbox func(pruned int64, before time.Time, err error)
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
}

// PruneOnce deletes the traces older than Keep, once.
func (r *Retention) PruneOnce(ctx context.Context) (int64, time.Time, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	before := now().Add(-r.Keep)
	n, err := r.Store.Prune(ctx, before)
	if err != nil {
		return n, before, fmt.Errorf("prune traces before %s: %w", before.Format(time.RFC3339), err)
	}
	return n, before, nil
}

// PruneOutboxOnce deletes, once, the webhook events older than Keep that no
// delivery waits on, with their deliveries and attempts (see
// OutboxPruner); ok is false when the store has no outbox to prune.
func (r *Retention) PruneOutboxOnce(ctx context.Context) (n int64, before time.Time, ok bool, err error) {
	p, ok := r.Store.(OutboxPruner)
	if !ok {
		return 0, time.Time{}, false, nil
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	at := now()
	before = at.Add(-r.Keep)
	n, err = p.PruneOutbox(ctx, before, at)
	if err != nil {
		return n, before, true, fmt.Errorf("prune webhook events before %s: %w", before.Format(time.RFC3339), err)
	}
	return n, before, true, nil
}

// Run prunes at once and then every Every until ctx ends: the traces, then
// the webhook outbox. With Keep <= 0 it returns at once: nothing is ever
// pruned.
func (r *Retention) Run(ctx context.Context) {
	if r.Keep <= 0 {
		return
	}
	every := r.Every
	if every <= 0 {
		every = time.Hour
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		n, before, err := r.PruneOnce(ctx)
		if r.Report != nil && ctx.Err() == nil {
			r.Report(n, before, err)
		}
		if n, before, ok, err := r.PruneOutboxOnce(ctx); ok && r.ReportOutbox != nil && ctx.Err() == nil {
			r.ReportOutbox(n, before, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
