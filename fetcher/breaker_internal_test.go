package fetcher

import (
	"fmt"
	"testing"
	"time"
)

// testBreaker is a breaker over a clock the test moves.
func testBreaker(failures uint32, probes uint32) (*breaker, *time.Time, *[]string) {
	now := time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)
	var changes []string
	b := newBreaker(Config{BreakerFailures: failures, BreakerRatio: 0.5, BreakerWindow: 30 * time.Second,
		BreakerCooldown: 10 * time.Second, BreakerProbes: probes, Now: func() time.Time { return now }},
		func(from, to string) { changes = append(changes, to) })
	return b, &now, &changes
}

// record lets one attempt through and reports its outcome.
func record(t *testing.T, b *breaker, id string, o outcome) {
	t.Helper()
	probe, err := b.allow()
	if err != nil {
		t.Fatalf("allow for %s: %v", id, err)
	}
	b.done(id, probe, o)
}

// TestBreakerTracksBoundedSessions: under a steady trickle of distinct failing
// sessions among more successes (never enough to open it), the set of
// failing sessions kept stays bounded.
func TestBreakerTracksBoundedSessions(t *testing.T) {
	b, now, _ := testBreaker(5, 1)
	for i := range 3 * maxTrackedSessions {
		record(t, b, "ok", outcomeSuccess)
		record(t, b, "ok", outcomeSuccess)
		record(t, b, fmt.Sprintf("s-%d", i), outcomeFailure)
		*now = now.Add(time.Millisecond)
	}
	if s := b.stateName(); s != stateClosed {
		t.Fatalf("breaker %s with a third of outcomes failing, want closed", s)
	}
	if n := len(b.failing); n > maxTrackedSessions {
		t.Errorf("%d failing sessions kept, want at most %d", n, maxTrackedSessions)
	}
}

// TestBreakerProbes: half-open lets BreakerProbes attempts through at once and
// fails the others fast; it closes only once that many succeeded; an ignored
// probe frees its place; attempts begun before it opened count for nothing.
func TestBreakerProbes(t *testing.T) {
	b, now, changes := testBreaker(2, 2)
	late, err := b.allow() // an attempt under way when the breaker opens
	if err != nil {
		t.Fatal(err)
	}
	record(t, b, "a", outcomeFailure)
	record(t, b, "b", outcomeFailure)
	if s := b.stateName(); s != stateOpen {
		t.Fatalf("breaker %s, want open", s)
	}
	b.done("c", late, outcomeSuccess)
	if _, err := b.allow(); err != errBreakerOpen {
		t.Fatalf("allow while open: %v, want errBreakerOpen", err)
	}
	*now = now.Add(10 * time.Second)
	p1, err1 := b.allow()
	p2, err2 := b.allow()
	if !p1 || !p2 || err1 != nil || err2 != nil {
		t.Fatalf("half-open probes: %v %v / %v %v, want two probes", p1, err1, p2, err2)
	}
	if _, err := b.allow(); err != errBreakerOpen {
		t.Fatalf("a third attempt half-open: %v, want errBreakerOpen", err)
	}
	b.done("p1", p1, outcomeIgnored) // cancelled: its place is free again
	p3, err := b.allow()
	if !p3 || err != nil {
		t.Fatalf("probe after an ignored one: %v %v", p3, err)
	}
	b.done("p2", p2, outcomeSuccess)
	if s := b.stateName(); s != stateHalfOpen {
		t.Fatalf("breaker %s after one of two probes succeeded, want half-open", s)
	}
	b.done("p3", p3, outcomeSuccess)
	if s := b.stateName(); s != stateClosed {
		t.Fatalf("breaker %s after both probes succeeded, want closed", s)
	}
	if got := fmt.Sprint(*changes); got != "[open half-open closed]" {
		t.Errorf("changes %s, want [open half-open closed]", got)
	}
	// Closed afresh: the failures before it opened are forgotten.
	record(t, b, "a", outcomeFailure)
	if s := b.stateName(); s != stateClosed {
		t.Errorf("breaker %s after one new failure, want closed", s)
	}
}
