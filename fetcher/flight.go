package fetcher

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// flights coalesces concurrent fetches of one session into one upstream
// fetch. Unlike golang.org/x/sync/singleflight it runs the shared fetch on a
// context of its own (the caller's values, none of its cancellation, the
// client's budget as deadline), so one caller giving up never fails the
// others; and it counts the callers waiting, so the fetch is cancelled when
// the last of them has gone.
type flights struct {
	mu    sync.Mutex
	calls map[string]*call
	wg    sync.WaitGroup // running fetches and idle workers, for Close

	// Shared fetches run on worker goroutines that stay for a while after a
	// fetch, waiting for the next: a fresh goroutine must grow its stack to
	// the depth of an HTTP round trip on every fetch, which costs more than
	// the rest of the client's own work (see docs/bench-fetcher.md).
	jobs   chan func()
	stop   chan struct{}
	once   sync.Once
	closed bool // set under mu by close: no new fetch starts after
}

// workerIdle is how long a worker waits for another fetch before exiting.
const workerIdle = 5 * time.Second

// init makes the channels once.
func (f *flights) init() {
	f.once.Do(func() {
		f.jobs = make(chan func())
		f.stop = make(chan struct{})
	})
}

// run runs job on an idle worker, or on a new one; f.mu is held.
func (f *flights) run(job func()) {
	f.init()
	select {
	case f.jobs <- job:
		return
	default:
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		job()
		idle := time.NewTimer(workerIdle)
		defer idle.Stop()
		for {
			select {
			case job := <-f.jobs:
				job()
				idle.Reset(workerIdle)
			case <-idle.C:
				return
			case <-f.stop:
				return
			}
		}
	}()
}

// call is one shared upstream fetch.
type call struct {
	done    chan struct{} // closed when rep and err are set
	rep     *Report
	err     error
	waiters int
	cancel  context.CancelFunc
}

// do returns the result of the session's shared fetch, starting one when
// none is under way. run does the fetch; store is called with a success
// before the fetch stops being visible to new callers, so that a caller
// always finds the report either in the cache or in flight.
func (f *flights) do(ctx context.Context, id string, budget time.Duration,
	run func(context.Context, string) (*Report, error), store func(string, *Report)) (*Report, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, fmt.Errorf("fetch session %s: %w: client closed", id, ErrUnavailable)
	}
	c, ok := f.calls[id]
	if !ok {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
		c = &call{done: make(chan struct{}), cancel: cancel}
		if f.calls == nil {
			f.calls = make(map[string]*call)
		}
		f.calls[id] = c
		f.run(func() {
			rep, err := run(fctx, id)
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
		})
	}
	c.waiters++
	f.mu.Unlock()

	select {
	case <-c.done:
		return c.rep, c.err
	case <-ctx.Done():
		f.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			// Nobody wants it any more: stop the fetch, and let the next
			// caller start afresh rather than join a cancelled one.
			c.cancel()
			if f.calls[id] == c {
				delete(f.calls, id)
			}
		}
		f.mu.Unlock()
		return nil, fmt.Errorf("fetch session %s: %w: caller gave up: %w", id, ErrUnavailable, context.Cause(ctx))
	}
}

// close waits for every running fetch to end and stops the idle workers.
// It may be called more than once.
func (f *flights) close() {
	f.init()
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.stop)
	}
	f.mu.Unlock()
	f.wg.Wait()
}
