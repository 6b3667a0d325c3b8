package fetcher

// STUB: the agreed API of the Roundtable client, with placeholder bodies. The
// fetcher work replaces it; the signatures are what the api builds against.

import (
	"context"
	"fmt"
	"time"
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	BaseURL   string        // ROUNDTABLE_BASE_URL, e.g. https://api.poh.org
	APIKey    string        // ROUNDTABLE_API_KEY (sk-...); never logged
	Timeout   time.Duration // total budget per fetch, retries included (default 1.5s)
	CacheTTL  time.Duration // how long a report is reused (default 3s; 0 keeps the default, negative disables)
	CacheSize int           // most reports cached (default 10000)
	Observer  Observer      // metrics hooks; nil for none
}

// Observer receives the client's events, for metrics.
type Observer interface {
	// Upstream is called once per HTTP attempt: status is the HTTP code as text, or "error".
	Upstream(status string, elapsed time.Duration)
	// Retry is called before each retry.
	Retry()
	// BreakerState is called when the circuit breaker changes state ("closed", "open", "half-open").
	BreakerState(state string)
	// Cache is called once per Fetch: hit is true when the report came from the cache.
	Cache(hit bool)
}

// Client fetches session reports from Roundtable.
type Client struct{ cfg Config }

// New checks the configuration and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("fetcher: base URL is required")
	}
	return &Client{cfg: cfg}, nil
}

// Fetch returns the session's report (Report.Raw holds the body as received) or
// an error wrapping one of ErrNotFound, ErrUnauthorized, ErrRateLimited,
// ErrUnavailable, ErrInvalidReport, ErrInvalidSessionID.
func (c *Client) Fetch(ctx context.Context, sessionID string) (*Report, error) {
	return nil, fmt.Errorf("%w: not implemented yet", ErrUnavailable)
}

// Close releases idle connections.
func (c *Client) Close() {}
