package audit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// WriteTrust is how long a successful write (a committed batch or a probe)
// vouches for the log: within it, a readiness check costs nothing.
const WriteTrust = time.Second

// writeHealth says whether a store can write now, for readiness (GET
// /readyz). Every group commit reports its outcome; a check trusts a commit
// that succeeded within WriteTrust, and otherwise — idle, or after a failed
// commit — runs the store's write probe, one at a time however many checks
// come. So a log that stops writing (disk full, file-size limit,
// permissions, PostgreSQL gone) turns readiness red at the next check after
// a failed commit, or within WriteTrust when idle; and green again as soon
// as a probe writes, which does not need a decision to be let through.
type writeHealth struct {
	now func() time.Time

	mu      sync.Mutex
	goodAt  time.Time     // the last successful write
	failed  error         // the last failed write, nil once one succeeded after it
	failAt  time.Time     // when it failed
	probing chan struct{} // closed when the probe under way ends; nil when none
	probed  error         // that probe's outcome
}

// record notes the outcome of a write: nil for success.
func (h *writeHealth) record(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recordLocked(err)
}

func (h *writeHealth) recordLocked(err error) {
	now := h.clock()
	if err == nil {
		h.goodAt, h.failed = now, nil
		return
	}
	h.failed, h.failAt = err, now
}

func (h *writeHealth) clock() time.Time {
	if h.now != nil {
		return h.now()
	}
	return time.Now()
}

// check returns nil when the log can write: a write succeeded within
// WriteTrust and none failed since, or probe writes now. Otherwise it
// returns why, with the last failed commit's error.
func (h *writeHealth) check(ctx context.Context, probe func(context.Context) error) error {
	h.mu.Lock()
	if h.failed == nil && h.clock().Sub(h.goodAt) < WriteTrust {
		h.mu.Unlock()
		return nil
	}
	wait := h.probing
	if wait == nil { // run the probe; later checks wait for it
		wait = make(chan struct{})
		h.probing = wait
		h.mu.Unlock()
		err := probe(ctx)
		h.mu.Lock()
		h.recordLocked(err)
		h.probed, h.probing = err, nil
		close(wait)
	}
	h.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
		return fmt.Errorf("cannot write: write probe: %w", ctx.Err())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed == nil {
		return nil
	}
	return fmt.Errorf("cannot write since %s: %w", h.failAt.UTC().Format(time.RFC3339), h.failed)
}
