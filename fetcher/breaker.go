package fetcher

import (
	"context"
	"errors"

	"github.com/sony/gobreaker/v2"
	"github.com/verdicthq/verdict/report"
)

// Why sony/gobreaker/v2: it is small (one file, no dependencies), kept, and
// does exactly the closed → open → half-open cycle with a pluggable "what is a
// failure" and "what is ignored", which is the only policy verdict needs to
// own. Retries and back-off stay here in retry.go, where they can honour the
// fetch budget and Retry-After; failsafe-go would bring a whole policy
// framework to do the same, and cenkalti/backoff has no breaker.
//
// The breaker wraps each HTTP attempt, so an open breaker also stops the
// retries of fetches already under way.
//
// What trips it (a failure): 5xx, timeouts, connection errors — Roundtable or
// the path to it is unwell, and more requests will not help it.
// What counts as a success: 200 (even with an invalid report), 404, 401/403,
// 429 and other statuses — Roundtable answered. An invalid report is one
// session's bad data (or a contract change that fails every fetch fast anyway);
// opening the breaker on it would only relabel "invalid" as "unavailable" and
// block the sessions whose reports are fine. 429 is Roundtable pacing us:
// Retry-After and back-off handle it, and it must stay "rate_limited". 401/403
// is a configuration fault, logged loudly and never retried.
// What is ignored: a fetch cancelled because every caller gave up.
func newBreaker(cfg Config, onChange func(from, to gobreaker.State)) *gobreaker.CircuitBreaker[*report.Report] {
	return gobreaker.NewCircuitBreaker[*report.Report](gobreaker.Settings{
		Name:        "roundtable",
		MaxRequests: cfg.BreakerProbes,
		Timeout:     cfg.BreakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= cfg.BreakerFailures
		},
		OnStateChange: func(_ string, from, to gobreaker.State) { onChange(from, to) },
		IsSuccessful: func(err error) bool {
			var ae *attemptError
			return err == nil || errors.As(err, &ae) && !ae.tripping
		},
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
	})
}

// BreakerState returns the circuit breaker's state: "closed", "open" or
// "half-open". An open breaker turns half-open lazily, on the next fetch
// after the cool-down.
func (c *Client) BreakerState() string { return c.breaker.State().String() }
