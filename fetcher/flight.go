package fetcher

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/verdicthq/verdict/report"
)

// flights coalesces concurrent fetches of one session into one upstream
// fetch. Like golang.org/x/sync/singleflight, the first caller (the leader)
// runs the fetch in its own goroutine and the others wait for its result.
// Unlike it:
//
//   - the fetch runs on a context of its own (the leader's values, none of its
//     cancellation, the client's budget as deadline), so no caller giving up
//     fails the others;
//   - every waiter, leader included, counts: when the last one has gone the
//     fetch is cancelled, so a lone caller whose context ends gets its answer
//     at once and the upstream request stops;
//   - a waiter other than the leader returns as soon as its context ends.
//
// The leader alone, when its context ends while others still wait, stays
// with the fetch until it ends, within the budget. Running the fetch in the
// leader's goroutine rather than a fresh one is what keeps the client within
// a few percent of a bare HTTP GET: a new goroutine per fetch must grow its
// stack to the depth of an HTTP round trip each time (docs/bench-fetcher.md).
type flights struct {
	mu     sync.Mutex
	calls  map[string]*call
	closed bool           // set by close: no new fetch starts after
	wg     sync.WaitGroup // running fetches, for close
}

// call is one shared upstream fetch.
type call struct {
	done    chan struct{} // closed when rep and err are set
	rep     *report.Report
	err     error
	waiters int // callers still interested, leader included
	cancel  context.CancelFunc
}

// leave records that a waiter has gone; the last one stops the fetch and
// lets the next caller start afresh rather than join a cancelled fetch.
// f.mu is held.
func (f *flights) leave(id string, c *call) {
	c.waiters--
	if c.waiters == 0 {
		c.cancel()
		if f.calls[id] == c {
			delete(f.calls, id)
		}
	}
}

// do returns the result of the session's shared fetch, running one when
// none is under way. run does the fetch; store is called with a success
// before the fetch stops being visible to new callers, so that a caller
// always finds the report either in the cache or in flight.
func (f *flights) do(ctx context.Context, id string, budget time.Duration,
	run func(context.Context, string) (*report.Report, error), store func(string, *report.Report)) (*report.Report, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, fmt.Errorf("fetch session %s: %w: client closed", id, report.ErrUnavailable)
	}
	if c, ok := f.calls[id]; ok { // follow the fetch under way
		c.waiters++
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.rep, c.err
		case <-ctx.Done():
			f.mu.Lock()
			f.leave(id, c)
			f.mu.Unlock()
			return nil, gaveUp(ctx, id)
		}
	}

	// Lead a new fetch.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	c := &call{done: make(chan struct{}), cancel: cancel, waiters: 1}
	if f.calls == nil {
		f.calls = make(map[string]*call)
	}
	f.calls[id] = c
	f.wg.Add(1)
	f.mu.Unlock()
	defer f.wg.Done()

	stop := context.AfterFunc(ctx, func() {
		f.mu.Lock()
		f.leave(id, c)
		f.mu.Unlock()
	})
	finished := false
	defer func() {
		if finished {
			return
		}
		// run panicked: end the call so that its waiters get an error and
		// the next caller starts afresh, then let the panic go on.
		stop()
		cancel()
		f.mu.Lock()
		if f.calls[id] == c {
			delete(f.calls, id)
		}
		f.mu.Unlock()
		c.err = fmt.Errorf("fetch session %s: %w: fetch panicked", id, report.ErrUnavailable)
		close(c.done)
	}()
	rep, err := run(fctx, id)
	finished = true
	cancel()
	if err == nil {
		store(id, rep)
	}
	f.mu.Lock()
	if f.calls[id] == c {
		delete(f.calls, id)
	}
	f.mu.Unlock()
	c.rep, c.err = rep, err
	close(c.done)
	if !stop() && err != nil { // the leader's context ended during the fetch
		return nil, gaveUp(ctx, id)
	}
	return rep, err
}

// gaveUp is the error of a caller whose context ended first.
func gaveUp(ctx context.Context, id string) error {
	return fmt.Errorf("fetch session %s: %w: caller gave up: %w", id, report.ErrUnavailable, context.Cause(ctx))
}

// close waits for every running fetch to end; no fetch starts after. It may
// be called more than once.
func (f *flights) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.wg.Wait()
}
