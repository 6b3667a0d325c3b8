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
	wg    sync.WaitGroup // running fetches, for Close
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
	c, ok := f.calls[id]
	if !ok {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
		c = &call{done: make(chan struct{}), cancel: cancel}
		if f.calls == nil {
			f.calls = make(map[string]*call)
		}
		f.calls[id] = c
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
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
		}()
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

// wait blocks until every running fetch has ended.
func (f *flights) wait() { f.wg.Wait() }
