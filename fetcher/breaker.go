package fetcher

import (
	"errors"
	"sync"
	"time"
)

// The circuit breaker stops calling Roundtable when Roundtable is unwell, and
// only then. It wraps each HTTP attempt, so an open breaker also stops the
// retries of fetches already under way.
//
// The rule (docs/operations.md, "Circuit breaker"): over the last
// BreakerWindow, the breaker opens when at least BreakerFailures distinct
// sessions had an attempt fail, and those failing sessions make at least
// BreakerRatio of the window's outcomes — each successful attempt counts
// once, each failing session counts once however often it fails. So one
// session whose report answers 500, fetched a hundred times, never opens it
// (one failing session), and neither do a few such sessions among healthy
// traffic (the ratio); an outage, where every session fails, opens it after
// BreakerFailures sessions. Once open it fails fast for BreakerCooldown, then
// lets BreakerProbes attempts through (half-open): that many successes close
// it, a failure opens it again.
//
// What is a failure: 5xx, timeouts, connection errors — Roundtable or the
// path to it is unwell, and more requests will not help it.
// What is a success: 200 (even with an invalid report), 404, 401/403, 429 and
// other statuses — Roundtable answered. An invalid report is one session's
// bad data (or a contract change that fails every fetch fast anyway);
// opening the breaker on it would only relabel "invalid" as "unavailable" and
// block the sessions whose reports are fine. 429 is Roundtable pacing us:
// Retry-After and back-off handle it, and it must stay "rate_limited". 401/403
// is a configuration fault, logged loudly and never retried.
// What is ignored: an attempt cancelled because every caller gave up.
//
// Why not sony/gobreaker/v2, used before: its Counts are of attempts, not of
// sessions, so one failing session opened it for everyone (issue 10); and it
// reads the wall clock, so its cool-down could only be tested by sleeping.
// The rule above needs a set of failing sessions, which ReadyToTrip cannot
// see; written here it is one small state machine over an injected clock.

// Breaker states, as BreakerState and Observer.BreakerState name them.
const (
	stateClosed   = "closed"
	stateOpen     = "open"
	stateHalfOpen = "half-open"
)

// errBreakerOpen is returned by allow while the breaker fails fast: open, or
// half-open with every probe already under way.
var errBreakerOpen = errors.New("circuit breaker open")

// maxTrackedSessions bounds the set of failing sessions the breaker keeps,
// whatever the number of sessions: past it, the count is a lower bound,
// which is all the rule needs once it is above BreakerFailures.
const maxTrackedSessions = 4096

// windowBuckets is how many slices the window of successes is kept in: the
// window slides by a tenth of its length.
const windowBuckets = 10

// outcome is what one attempt tells the breaker.
type outcome int

const (
	outcomeSuccess outcome = iota // Roundtable answered
	outcomeFailure                // Roundtable (or the path to it) failed
	outcomeIgnored                // cancelled: says nothing of Roundtable
)

// breaker is the circuit breaker; safe for concurrent use.
type breaker struct {
	failures int           // distinct failing sessions that can open it
	ratio    float64       // least share of failing sessions among outcomes
	window   time.Duration // how far back failures and successes count
	cooldown time.Duration // how long it stays open
	probes   int           // attempts let through half-open; as many successes close it
	now      func() time.Time
	onChange func(from, to string) // called with mu held

	mu       sync.Mutex
	state    string
	openedAt time.Time
	failing  map[string]time.Time // session → its last failure, within the window
	pruned   time.Time            // when failing was last pruned
	buckets  [windowBuckets]bucket
	inProbe  int // probes under way (half-open)
	probeOK  int // probes that succeeded (half-open)
}

// bucket counts the successes of one slice of the window.
type bucket struct {
	start     time.Time
	successes int
}

func newBreaker(cfg Config, onChange func(from, to string)) *breaker {
	return &breaker{
		failures: int(cfg.BreakerFailures),
		ratio:    cfg.BreakerRatio,
		window:   cfg.BreakerWindow,
		cooldown: cfg.BreakerCooldown,
		probes:   int(cfg.BreakerProbes),
		now:      cfg.Now,
		onChange: onChange,
		state:    stateClosed,
		failing:  make(map[string]time.Time),
	}
}

// allow says whether an attempt may go to Roundtable now; probe is true when
// it is one of the half-open breaker's probes, and must be reported to done
// as such. It fails with errBreakerOpen while the breaker fails fast.
func (b *breaker) allow() (probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.current(b.now()) {
	case stateOpen:
		return false, errBreakerOpen
	case stateHalfOpen:
		if b.inProbe+b.probeOK >= b.probes {
			return false, errBreakerOpen
		}
		b.inProbe++
		return true, nil
	}
	return false, nil
}

// done records the outcome of an attempt allow let through.
func (b *breaker) done(sessionID string, probe bool, o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	state := b.current(now)
	if probe {
		if state != stateHalfOpen { // the breaker moved on while the probe ran
			return
		}
		b.inProbe--
		switch o {
		case outcomeSuccess:
			if b.probeOK++; b.probeOK >= b.probes {
				b.setState(stateClosed, now)
			}
		case outcomeFailure:
			b.setState(stateOpen, now)
		}
		return
	}
	if state != stateClosed {
		return // an attempt that began before the breaker opened
	}
	switch o {
	case outcomeSuccess:
		b.bucketAt(now).successes++
	case outcomeFailure:
		if _, seen := b.failing[sessionID]; seen || len(b.failing) < maxTrackedSessions {
			b.failing[sessionID] = now
		}
		if b.tripped(now) {
			b.setState(stateOpen, now)
		}
	}
}

// tripped applies the rule to the window ending at now; b.mu is held. It
// drops the failing sessions that left the window, at most once per slice,
// so a steady trickle of failures costs little;
// like the successes, a failure counts for up to one slice past the window.
func (b *breaker) tripped(now time.Time) bool {
	since := now.Add(-b.window)
	if len(b.failing) < b.failures {
		return false
	}
	if now.Sub(b.pruned) >= b.window/windowBuckets {
		for id, t := range b.failing {
			if !t.After(since) {
				delete(b.failing, id)
			}
		}
		b.pruned = now
	}
	failing := len(b.failing)
	if failing < b.failures {
		return false
	}
	successes := 0
	for _, bk := range b.buckets {
		if bk.start.After(since.Add(-b.window / windowBuckets)) {
			successes += bk.successes
		}
	}
	return float64(failing) >= b.ratio*float64(failing+successes)
}

// bucketAt returns the bucket of the slice holding now, emptied when it last
// held an older slice; b.mu is held.
func (b *breaker) bucketAt(now time.Time) *bucket {
	width := b.window / windowBuckets
	if width <= 0 {
		width = 1
	}
	slice := now.UnixNano() / int64(width)
	bk := &b.buckets[slice%windowBuckets]
	if start := time.Unix(0, slice*int64(width)); !bk.start.Equal(start) {
		*bk = bucket{start: start}
	}
	return bk
}

// current returns the state at now, turning an open breaker half-open once
// the cool-down has passed; b.mu is held.
func (b *breaker) current(now time.Time) string {
	if b.state == stateOpen && !now.Before(b.openedAt.Add(b.cooldown)) {
		b.setState(stateHalfOpen, now)
	}
	return b.state
}

// setState moves to state, starting it afresh; b.mu is held.
func (b *breaker) setState(state string, now time.Time) {
	from := b.state
	b.state = state
	b.inProbe, b.probeOK = 0, 0
	switch state {
	case stateOpen:
		b.openedAt = now
	case stateClosed:
		clear(b.failing)
		b.buckets = [windowBuckets]bucket{}
	}
	if from != state && b.onChange != nil {
		b.onChange(from, state)
	}
}

// stateName returns the state at the breaker's clock's now.
func (b *breaker) stateName() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.current(b.now())
}

// BreakerState returns the circuit breaker's state: "closed", "open" or
// "half-open". An open breaker turns half-open once the cool-down has passed
// (seen by the next fetch, or by this call).
func (c *Client) BreakerState() string { return c.breaker.stateName() }
