package fetcher

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout               = 1500 * time.Millisecond
	DefaultConnectTimeout        = 300 * time.Millisecond
	DefaultTLSHandshakeTimeout   = 500 * time.Millisecond
	DefaultResponseHeaderTimeout = 1000 * time.Millisecond
	DefaultMaxBodyBytes          = 1 << 20 // 1 MiB; a real report is a few KiB
	DefaultMaxAttempts           = 3
	DefaultRetryBaseDelay        = 50 * time.Millisecond
	DefaultRetryMaxDelay         = 400 * time.Millisecond
	DefaultBreakerFailures       = 5
	DefaultBreakerRatio          = 0.5
	DefaultBreakerWindow         = 30 * time.Second
	DefaultBreakerCooldown       = 10 * time.Second
	DefaultBreakerProbes         = 1
	DefaultCacheTTL              = 3 * time.Second
	DefaultCacheSize             = 10000
	DefaultMaxConnsPerHost       = 256
	DefaultMaxIdleConnsPerHost   = 64
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// BaseURL is Roundtable's base URL (ROUNDTABLE_BASE_URL), e.g. https://api.poh.org.
	// It may carry a path prefix; it must not carry a query or fragment.
	BaseURL string
	// APIKey is the secret key (ROUNDTABLE_API_KEY, sk-...), sent as a bearer
	// token. It never appears in a log line or an error; Config's String,
	// GoString and JSON forms leave it out.
	APIKey string `json:"-"`
	// Timeout is the total budget of one fetch, retries and back-off included
	// (default 1.5s). A caller's own context deadline, when shorter, wins.
	Timeout time.Duration
	// ConnectTimeout bounds the TCP connect (default 300ms).
	ConnectTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake (default 500ms).
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for response headers once the
	// request is sent (default 1s).
	ResponseHeaderTimeout time.Duration
	// MaxBodyBytes is the largest report body accepted (default 1 MiB); a
	// larger one is an invalid report.
	MaxBodyBytes int64
	// MaxAttempts is the most HTTP attempts per fetch, the first included
	// (default 3; 1 disables retries).
	MaxAttempts int
	// RetryBaseDelay is the back-off before the first retry; it doubles per
	// retry, up to RetryMaxDelay, with jitter (defaults 50ms and 400ms).
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// BreakerFailures is how many distinct sessions must have had an attempt
	// fail (5xx, timeout, connection error) within BreakerWindow for the
	// circuit breaker to open (default 5). However often one session fails,
	// it counts once: one bad session never fails the others fast.
	BreakerFailures uint32
	// BreakerRatio is the least share the failing sessions must make of the
	// window's outcomes (each successful attempt counts once, each failing
	// session once) for the breaker to open (default 0.5; 1 opens it only when
	// nothing succeeded in the window; 0 takes the default).
	BreakerRatio float64
	// BreakerWindow is how far back failures and successes count (default
	// 30s); it slides by a tenth of itself.
	BreakerWindow time.Duration
	// BreakerCooldown is how long the open breaker fails fast before letting
	// probes through (default 10s).
	BreakerCooldown time.Duration
	// BreakerProbes is how many attempts the half-open breaker lets through
	// at once; that many successes close it, one failure opens it again
	// (default 1).
	BreakerProbes uint32
	// CacheTTL is how long a report is reused (default 3s: scores move while a
	// session is live). Negative disables the cache.
	CacheTTL time.Duration
	// CacheSize is the most reports cached (default 10000); the least recently
	// used go first.
	CacheSize int
	// MaxConnsPerHost and MaxIdleConnsPerHost size the connection pool
	// (defaults 256 and 64).
	MaxConnsPerHost     int
	MaxIdleConnsPerHost int
	// Now returns the current time for the cache's TTL and the breaker's
	// window and cool-down (default time.Now). Tests set a fake clock; fetch
	// budgets, back-off and Retry-After dates always run on real time.
	Now func() time.Time `json:"-"`
	// Observer receives metrics events; nil for none.
	Observer Observer
	// Logger receives the client's log lines (401/403 at error level, breaker
	// changes and give-ups at warn, retries at debug). The zero Logger is silent.
	Logger zerolog.Logger
}

// withDefaults returns cfg with every zero value replaced by its default, or
// an error naming the first bad field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.BaseURL == "" {
		return cfg, fmt.Errorf("fetcher: base URL is required (ROUNDTABLE_BASE_URL)")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, which may hold a password
		}
		return cfg, fmt.Errorf("fetcher: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("fetcher: base URL %q: want http(s)://host[/prefix]", redactURL(u))
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return cfg, fmt.Errorf("fetcher: base URL %q: must not carry a query, fragment or user info", redactURL(u))
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"Timeout", &cfg.Timeout, DefaultTimeout},
		{"ConnectTimeout", &cfg.ConnectTimeout, DefaultConnectTimeout},
		{"TLSHandshakeTimeout", &cfg.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout},
		{"ResponseHeaderTimeout", &cfg.ResponseHeaderTimeout, DefaultResponseHeaderTimeout},
		{"RetryBaseDelay", &cfg.RetryBaseDelay, DefaultRetryBaseDelay},
		{"RetryMaxDelay", &cfg.RetryMaxDelay, DefaultRetryMaxDelay},
		{"BreakerCooldown", &cfg.BreakerCooldown, DefaultBreakerCooldown},
		{"BreakerWindow", &cfg.BreakerWindow, DefaultBreakerWindow},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return cfg, fmt.Errorf("fetcher: %s must not be negative, got %s", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.MaxBodyBytes < 0 || cfg.MaxAttempts < 0 || cfg.CacheSize < 0 || cfg.MaxConnsPerHost < 0 || cfg.MaxIdleConnsPerHost < 0 {
		return cfg, fmt.Errorf("fetcher: MaxBodyBytes, MaxAttempts, CacheSize and pool sizes must not be negative")
	}
	setDefault(&cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&cfg.MaxAttempts, DefaultMaxAttempts)
	setDefault(&cfg.CacheSize, DefaultCacheSize)
	setDefault(&cfg.MaxConnsPerHost, DefaultMaxConnsPerHost)
	setDefault(&cfg.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
	setDefault(&cfg.BreakerFailures, DefaultBreakerFailures)
	setDefault(&cfg.BreakerProbes, DefaultBreakerProbes)
	switch {
	case cfg.BreakerRatio < 0 || cfg.BreakerRatio > 1 || cfg.BreakerRatio != cfg.BreakerRatio:
		return cfg, fmt.Errorf("fetcher: BreakerRatio must be within [0, 1], got %v", cfg.BreakerRatio)
	case cfg.BreakerRatio == 0:
		cfg.BreakerRatio = DefaultBreakerRatio
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.RetryMaxDelay < cfg.RetryBaseDelay {
		cfg.RetryMaxDelay = cfg.RetryBaseDelay
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	return cfg, nil
}

func setDefault[T int | int64 | uint32](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// redactURL shows a base URL in an error without what may be a secret in
// it: the password (url.URL.Redacted), the query and the fragment.
func redactURL(u *url.URL) string {
	c := *u
	if c.RawQuery != "" || c.ForceQuery {
		c.RawQuery, c.ForceQuery = "xxxxx", false
	}
	if c.Fragment != "" {
		c.Fragment, c.RawFragment = "xxxxx", ""
	}
	return c.Redacted()
}

// displayBaseURL is BaseURL for String: redacted when it parses, hidden when
// it does not (a Config printed before New checked it).
func (cfg Config) displayBaseURL() string {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return "[unparsable URL]"
	}
	return redactURL(u)
}

// String describes the configuration without the key, so that printing a
// Config (%v, %+v) is safe.
func (cfg Config) String() string {
	key := "none"
	if cfg.APIKey != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("fetcher.Config{BaseURL: %q, APIKey: %s, Timeout: %s, MaxAttempts: %d, CacheTTL: %s, CacheSize: %d, BreakerFailures: %d, BreakerCooldown: %s}",
		cfg.displayBaseURL(), key, cfg.Timeout, cfg.MaxAttempts, cfg.CacheTTL, cfg.CacheSize, cfg.BreakerFailures, cfg.BreakerCooldown)
}

// GoString is String, so that %#v does not print the key either.
func (cfg Config) GoString() string { return cfg.String() }
