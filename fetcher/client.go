package fetcher

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/report"
)

// Client fetches session reports from Roundtable: cache, then coalescing,
// then HTTP with a budget, retries and a circuit breaker. It is safe for
// concurrent use; make one per process and Close it on shutdown.
type Client struct {
	cfg       Config
	log       zerolog.Logger
	transport *http.Transport
	http      *http.Client
	breaker   *breaker
	cache     *cache
	flights   flights
	auth      []string // the Authorization header value; nil without a key
	closed    atomic.Bool
}

// New checks the configuration, fills in the defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:       cfg,
		log:       cfg.Logger.With().Str("component", "fetcher").Logger(),
		transport: newTransport(cfg),
		cache:     newCache(cfg.CacheTTL, cfg.CacheSize),
	}
	c.http = newHTTPClient(c.transport)
	if cfg.APIKey != "" {
		c.auth = []string{"Bearer " + cfg.APIKey}
	}
	c.breaker = newBreaker(cfg, func(from, to string) {
		ev := c.log.Warn()
		if to == stateClosed {
			ev = c.log.Info()
		}
		ev.Str("from", from).Str("to", to).Dur("cooldown", cfg.BreakerCooldown).
			Msg("roundtable circuit breaker changed state")
		cfg.Observer.BreakerState(to)
	})
	return c, nil
}

// Config returns the client's configuration with the defaults filled in.
// The key is left out.
func (c *Client) Config() Config {
	cfg := c.cfg
	if cfg.APIKey != "" {
		cfg.APIKey = "[redacted]"
	}
	return cfg
}

// Fetch returns the session's report, or an error wrapping one of
// ErrInvalidSessionID (no request made), ErrNotFound, ErrUnauthorized,
// ErrRateLimited, ErrUnavailable or ErrInvalidReport; Status maps it to a
// report status. Report.Raw holds the body as received.
//
// A report is reused for Config.CacheTTL. Concurrent fetches of one session
// share one upstream fetch, which runs within Config.Timeout however many
// callers wait on it. A caller whose ctx ends first gets ErrUnavailable
// without disturbing the others; only the caller that started a shared fetch
// others still wait on stays with it until it ends (see flights). The
// returned Report is shared with the cache and other callers: treat it as
// read-only.
func (c *Client) Fetch(ctx context.Context, sessionID string) (*report.Report, error) {
	if err := report.ValidateSessionID(sessionID); err != nil {
		return nil, fmt.Errorf("fetch session: %w", err)
	}
	if c.closed.Load() {
		return nil, fmt.Errorf("fetch session %s: %w: client closed", sessionID, report.ErrUnavailable)
	}
	if rep, ok := c.cache.get(sessionID, c.cfg.Now()); ok {
		c.cfg.Observer.Cache(true)
		return rep, nil
	}
	c.cfg.Observer.Cache(false)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch session %s: %w: caller gave up: %w", sessionID, report.ErrUnavailable, context.Cause(ctx))
	}
	return c.flights.do(ctx, sessionID, c.cfg.Timeout, c.fetchUpstream, c.store)
}

func (c *Client) store(id string, rep *report.Report) { c.cache.put(id, rep, c.cfg.Now()) }

// Close waits for fetches under way (each ends within Config.Timeout) and
// releases idle connections. Fetch fails as unavailable afterwards.
func (c *Client) Close() {
	c.closed.Store(true)
	c.flights.close()
	c.transport.CloseIdleConnections()
}
