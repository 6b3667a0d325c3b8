// Package testwait lets tests wait for an event that has no channel to
// receive from (a log line, a counter, a file on disk) by polling a
// condition, with a deadline generous enough for a loaded shared machine.
// The deadline bounds the wait; it is never a timing assertion.
package testwait

import (
	"testing"
	"time"
)

// Timeout is how long Until waits before failing the test.
const Timeout = 20 * time.Second

// every is how often a condition is polled.
const every = 5 * time.Millisecond

// Until polls cond until it is true, and fails the test (naming what it
// waited for) if that takes longer than Timeout.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !For(Timeout, cond) {
		t.Fatalf("gave up after %s waiting for %s", Timeout, what)
	}
}

// For polls cond until it is true or timeout passes, and reports whether it
// became true.
func For(timeout time.Duration, cond func() bool) bool {
	if cond() {
		return true
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
			if cond() {
				return true
			}
		}
	}
}
