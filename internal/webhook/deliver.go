package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/audit"
)

// Endpoint is a configured receiver.
type Endpoint struct {
	URL    string
	Secret string
	Events []string
}

// ID is the endpoint's stable name in the outbox: its host and a hash of
// the whole URL (the URL itself may carry a token, and is never shown).
func (e Endpoint) ID() string {
	sum := sha256.Sum256([]byte(e.URL))
	host := "endpoint"
	if u, err := url.Parse(e.URL); err == nil && u.Host != "" {
		host = u.Host
	}
	return host + "-" + hex.EncodeToString(sum[:6])
}

// Retry policy.
const (
	// RetryWindow is how long a delivery is retried before it fails.
	RetryWindow = 24 * time.Hour
	// FirstRetry is the backoff after the first failed attempt; it doubles
	// each attempt, up to MaxRetry, with jitter.
	FirstRetry = 10 * time.Second
	MaxRetry   = time.Hour
	// MaxResponse is how much of a receiver's answer is read (then the
	// connection is closed): a huge body costs nothing.
	MaxResponse = 64 << 10
)

// Options configure a Deliverer. Store and Endpoints are required.
type Options struct {
	Store     audit.Outbox
	Endpoints []Endpoint
	Log       zerolog.Logger
	// Timeout bounds one attempt, the answer's headers and body included
	// (default 10 s): a receiver that hangs costs one attempt.
	Timeout time.Duration
	// Parallel is how many attempts run at once (default 4).
	Parallel int
	// Poll is how often the outbox is read (default 1 s).
	Poll time.Duration
	// Now is the clock (default time.Now); Rand draws the jitter in [0, 1)
	// (default math/rand/v2). Tests inject both.
	Now  func() time.Time
	Rand func() float64
	// Client sends the requests (default: Timeout, no redirects followed).
	Client *http.Client
}

// Deliverer moves events from the outbox to the endpoints.
type Deliverer struct {
	o         Options
	endpoints map[string]Endpoint
	outbox    []audit.Endpoint
}

// New returns a Deliverer; Run starts it.
func New(o Options) (*Deliverer, error) {
	if o.Store == nil {
		return nil, errors.New("webhook: Options.Store is required")
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout: o.Timeout,
			// A redirect is an answer, not a new destination: the event
			// goes only where it was configured to go.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxResponseHeaderBytes: MaxResponse,
				ResponseHeaderTimeout: o.Timeout, IdleConnTimeout: 90 * time.Second, MaxIdleConnsPerHost: o.Parallel},
		}
	}
	d := &Deliverer{o: o, endpoints: map[string]Endpoint{}}
	for _, e := range o.Endpoints {
		d.endpoints[e.ID()] = e
		d.outbox = append(d.outbox, audit.Endpoint{ID: e.ID(), Events: e.Events})
	}
	return d, nil
}

// Run delivers until ctx ends: every Poll, one RunOnce.
func (d *Deliverer) Run(ctx context.Context) {
	t := time.NewTicker(d.o.Poll)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.o.Log.Warn().Err(err).Msg("webhook delivery round failed; retrying")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce fans new events out to the endpoints, then makes one attempt of
// every delivery due now (Parallel at a time), and returns how many
// attempts it made.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	for {
		n, err := d.o.Store.FanOut(ctx, d.outbox, d.o.Now(), 500)
		if err != nil {
			return 0, fmt.Errorf("fan out webhook events: %w", err)
		}
		if n == 0 {
			break
		}
	}
	due, err := d.o.Store.DueDeliveries(ctx, d.o.Now(), d.o.Timeout+30*time.Second, 100)
	if err != nil {
		return 0, fmt.Errorf("read due deliveries: %w", err)
	}
	sem := make(chan struct{}, d.o.Parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, dl := range due {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := d.attempt(ctx, dl); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return len(due), firstErr
}

// attempt sends one delivery and records the result.
func (d *Deliverer) attempt(ctx context.Context, dl *audit.Delivery) error {
	ep, ok := d.endpoints[dl.Endpoint]
	start := d.o.Now()
	var a audit.Attempt
	if !ok {
		a = audit.Attempt{At: start, Error: "endpoint no longer configured"}
	} else {
		a = d.send(ctx, ep, dl)
	}
	delivered := a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300
	var next time.Time
	if !delivered {
		next = d.nextAttempt(dl)
		ev := d.o.Log.Warn().Int64("delivery", dl.ID).Str("endpoint", dl.Endpoint).Str("event", dl.Type).Int("attempt", dl.Attempts+1)
		if a.StatusCode != 0 {
			ev = ev.Int("status", a.StatusCode)
		}
		if next.IsZero() {
			ev.Str("error", a.Error).Msg("webhook delivery failed for good after 24 h of retries")
		} else {
			ev.Str("error", a.Error).Time("next_attempt", next).Msg("webhook delivery failed; will retry")
		}
	}
	if err := d.o.Store.RecordAttempt(ctx, dl, a, delivered, next); err != nil {
		return fmt.Errorf("record webhook attempt: %w", err)
	}
	return nil
}

// nextAttempt is when a failed delivery is tried again: exponential
// backoff with jitter (half the delay, plus up to the other half, drawn),
// or zero once the retry window has passed.
func (d *Deliverer) nextAttempt(dl *audit.Delivery) time.Time {
	delay := FirstRetry
	for i := 0; i < dl.Attempts && delay < MaxRetry; i++ {
		delay *= 2
	}
	delay = min(delay, MaxRetry)
	delay = delay/2 + time.Duration(d.o.Rand()*float64(delay/2))
	next := d.o.Now().Add(delay)
	if !dl.WindowStart.IsZero() && next.Sub(dl.WindowStart) > RetryWindow {
		return time.Time{}
	}
	return next
}

// send makes one HTTP attempt; it never reads more than MaxResponse bytes.
func (d *Deliverer) send(ctx context.Context, ep Endpoint, dl *audit.Delivery) audit.Attempt {
	start := d.o.Now()
	a := audit.Attempt{At: start}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(dl.Payload))
	if err != nil {
		a.Error = fmt.Sprintf("build request: %v", err)
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "verdict-webhooks/1")
	req.Header.Set("Verdict-Event-Id", dl.EventID)
	req.Header.Set("Verdict-Event-Type", dl.Type)
	req.Header.Set(SignatureHeader, Sign(ep.Secret, time.Now(), dl.Payload))
	began := time.Now()
	resp, err := d.o.Client.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponse))
		resp.Body.Close()
		a.StatusCode = resp.StatusCode
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			a.Error = "HTTP " + resp.Status
		}
	} else {
		a.Error = redact(err, ep.URL)
	}
	a.Millis = float64(time.Since(began).Microseconds()) / 1000
	return a
}

// redact keeps the endpoint's URL (which may carry a token) out of errors.
func redact(err error, raw string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}
