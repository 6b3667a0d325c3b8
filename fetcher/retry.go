package fetcher

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/verdicthq/verdict/report"
)

// minAttemptTime is the least budget worth starting another attempt with: a
// loopback round trip is well under it, a real one to Roundtable is not far.
const minAttemptTime = 20 * time.Millisecond

// fetchUpstream runs the attempts for one session within ctx, whose deadline
// is the fetch budget. It retries 429, 5xx and network errors with
// exponential back-off and jitter, honours Retry-After only when it fits in
// the budget left, never retries another status, and never waits past the
// budget.
func (c *Client) fetchUpstream(ctx context.Context, sessionID string) (*report.Report, error) {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		probe, err := c.breaker.allow()
		if err != nil {
			return nil, fmt.Errorf("fetch session %s: %w: %w (%s), failing fast (attempt %d)",
				sessionID, report.ErrUnavailable, err, c.breaker.stateName(), attempt)
		}
		rep, ae := c.attempt(ctx, sessionID)
		c.breaker.done(sessionID, probe, breakerOutcome(ae))
		if ae == nil {
			return rep, nil
		}
		if ae.kind == report.ErrUnauthorized {
			c.log.Error().Str("session_id", sessionID).Int("status", ae.status).
				Msg("roundtable refused the API key: check ROUNDTABLE_API_KEY; every decision falls to on_error until it is fixed")
		}
		giveUp := func(why string) error {
			ev := c.log.Warn()
			if ae.kind == report.ErrNotFound {
				ev = c.log.Info() // an unknown session is news, not trouble
			}
			ev.Str("session_id", sessionID).Int("attempts", attempt).
				Dur("elapsed", time.Since(start)).Str("reason", why).Err(ae).Msg("roundtable fetch failed")
			return fmt.Errorf("fetch session %s: %w (%d attempt%s, %s)", sessionID, ae, attempt, plural(attempt), why)
		}
		if !ae.retryable {
			return nil, giveUp("not retryable")
		}
		if attempt >= c.cfg.MaxAttempts {
			return nil, giveUp("attempts exhausted")
		}
		remaining := time.Until(deadlineOf(ctx))
		delay := c.backoff(attempt)
		if ae.retryAfter >= 0 {
			if ae.retryAfter+minAttemptTime > remaining {
				return nil, giveUp(fmt.Sprintf("Retry-After %s does not fit the %s left", ae.retryAfter, remaining.Round(time.Millisecond)))
			}
			delay = ae.retryAfter
		}
		if delay+minAttemptTime > remaining {
			return nil, giveUp(fmt.Sprintf("no budget left for a retry (%s left)", remaining.Round(time.Millisecond)))
		}
		c.cfg.Observer.Retry()
		c.log.Debug().Str("session_id", sessionID).Int("attempt", attempt).Dur("delay", delay).Err(ae).Msg("retrying roundtable fetch")
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, giveUp("cancelled during back-off")
		}
	}
}

// backoff is the wait before retry number n (1-based): RetryBaseDelay·2^(n-1)
// capped at RetryMaxDelay, with "equal jitter" (a random half of it added to
// the other half) so that many clients do not retry in step.
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.RetryBaseDelay << (n - 1)
	if d > c.cfg.RetryMaxDelay || d <= 0 {
		d = c.cfg.RetryMaxDelay
	}
	half := d / 2
	return half + rand.N(half+1)
}

// deadlineOf returns ctx's deadline; fetch contexts always have one.
func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(DefaultTimeout)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// breakerOutcome is what an attempt's result tells the circuit breaker.
func breakerOutcome(ae *attemptError) outcome {
	switch {
	case ae == nil || !ae.tripping && !errors.Is(ae, context.Canceled):
		return outcomeSuccess
	case ae.tripping:
		return outcomeFailure
	}
	return outcomeIgnored
}
