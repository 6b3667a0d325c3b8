package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
)

// Validate checks every field, fills in what follows from others (parsed
// keys, the default Roundtable URL) and returns every problem at once, each
// naming its field.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}

	loopback := false
	if host, port, err := net.SplitHostPort(c.ListenAddr); err != nil {
		bad("listen_addr", "%q is not host:port (%v)", c.ListenAddr, err)
	} else {
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			bad("listen_addr", "port %q is not a number in 0..65535", port)
		}
		loopback = IsLoopbackHost(host)
	}
	if strings.TrimSpace(c.RulesDir) == "" {
		bad("rules_dir", "is empty")
	}

	c.keys = nil
	if len(c.APIKeys) == 0 {
		k, _ := ParseAPIKey(1, DemoKey)
		c.keys = []APIKey{k}
		if !loopback {
			bad("api_keys", "no API key is configured, and the public demo key may only serve a loopback listen_addr (got %q): set VERDICT_API_KEYS", c.ListenAddr)
		}
	}
	seenID := map[string]bool{}
	seenSecret := map[string]string{}
	for i, entry := range c.APIKeys {
		k, err := ParseAPIKey(i+1, entry)
		if err != nil {
			bad("api_keys", "%v", err) // names the entry's position and id, no other field
			continue
		}
		if seenID[k.ID] {
			bad("api_keys", "%s: key id %q appears twice", k.Where(), k.ID)
		}
		seenID[k.ID] = true
		if prev, ok := seenSecret[k.Secret.Reveal()]; ok {
			bad("api_keys", "%s: keys %q and %q share one secret", k.Where(), prev, k.ID)
		}
		seenSecret[k.Secret.Reveal()] = k.ID
		if strings.TrimSpace(entry) == DemoKey {
			if !loopback {
				bad("api_keys", "%s: the public demo key may only serve a loopback listen_addr (got %q)", k.Where(), c.ListenAddr)
			}
		} else if len(k.Secret) < MinSecretLen {
			bad("api_keys", "%s: secret shorter than %d characters", k.Where(), MinSecretLen)
		}
		c.keys = append(c.keys, k)
	}

	switch c.Log.Format {
	case "json", "console", "auto":
	default:
		bad("log.format", "%q is not json, console or auto", c.Log.Format)
	}
	if _, err := zerolog.ParseLevel(c.Log.Level); err != nil || c.Log.Level == "" {
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}

	if c.HTTP.BodyLimit < 1024 || c.HTTP.BodyLimit > 16<<20 {
		bad("http.body_limit", "%d is outside 1024..16777216 bytes", c.HTTP.BodyLimit)
	}
	if c.HTTP.ContextMaxDepth < 1 || c.HTTP.ContextMaxDepth > 1000 { // the decision log must decode what it stores
		bad("http.context_max_depth", "%d is outside 1..1000 levels", c.HTTP.ContextMaxDepth)
	}
	if c.HTTP.ContextMaxKeys < 1 || c.HTTP.ContextMaxKeys > 1_000_000 {
		bad("http.context_max_keys", "%d is outside 1..1000000 keys", c.HTTP.ContextMaxKeys)
	}
	if c.HTTP.ContextMaxString < 1 || c.HTTP.ContextMaxString > 16<<20 {
		bad("http.context_max_string", "%d is outside 1..16777216 bytes", c.HTTP.ContextMaxString)
	}
	for _, d := range []struct {
		field string
		v     int64
	}{
		{"http.request_timeout", int64(c.HTTP.RequestTimeout)},
		{"http.read_header_timeout", int64(c.HTTP.ReadHeaderTimeout)},
		{"http.idle_timeout", int64(c.HTTP.IdleTimeout)},
		{"http.shutdown_timeout", int64(c.HTTP.ShutdownTimeout)},
		{"roundtable.timeout", int64(c.Roundtable.Timeout)},
	} {
		if d.v <= 0 {
			bad(d.field, "must be positive")
		}
	}
	if c.HTTP.ShutdownDelay < 0 {
		bad("http.shutdown_delay", "must not be negative")
	}
	pl := c.PolicyLimits
	for _, l := range []struct {
		name string
		v    int64
	}{
		{"policy_limits.cost", pl.Cost}, {"policy_limits.memory_bytes", pl.MemoryBytes},
		{"policy_limits.file_bytes", int64(pl.FileBytes)}, {"policy_limits.expr_chars", int64(pl.ExprChars)},
		{"policy_limits.nesting", int64(pl.Nesting)}, {"policy_limits.variables", int64(pl.Variables)},
		{"policy_limits.rules", int64(pl.Rules)},
		{"counters.budget_bytes", c.Counters.BudgetBytes}, {"counters.max_events_per_key", int64(c.Counters.MaxEventsPerKey)},
	} {
		if l.v < 0 {
			bad(l.name, "%d is negative (0 keeps the default)", l.v)
		}
	}
	if c.Reload.Debounce < 0 {
		bad("reload.debounce", "must not be negative")
	}

	if c.Roundtable.APIKey != "" && c.Roundtable.BaseURL == "" {
		c.Roundtable.BaseURL = DefaultRoundtableURL
	}
	if c.Roundtable.BaseURL != "" {
		u, err := url.Parse(c.Roundtable.BaseURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			bad("roundtable.base_url", "%q is not an http(s) URL", RedactURL(c.Roundtable.BaseURL))
		case u.User != nil:
			bad("roundtable.base_url", "%q carries user info: put the key in roundtable.api_key (ROUNDTABLE_API_KEY), not in the URL", RedactURL(c.Roundtable.BaseURL))
		}
		if c.Roundtable.APIKey == "" {
			bad("roundtable.api_key", "is required when roundtable.base_url is set (ROUNDTABLE_API_KEY)")
		}
	}
	if c.Roundtable.Timeout > 0 && c.HTTP.RequestTimeout > 0 && c.Roundtable.Timeout >= c.HTTP.RequestTimeout {
		bad("roundtable.timeout", "%s must be shorter than http.request_timeout %s, or a slow Roundtable turns into request timeouts instead of on_error verdicts",
			c.Roundtable.Timeout, c.HTTP.RequestTimeout)
	}
	if c.Roundtable.CacheSize <= 0 {
		bad("roundtable.cache_size", "must be positive")
	}
	c.Roundtable.Breaker.validate(bad) // breaker.go
	if c.DemoRoundtable() && strings.TrimSpace(c.Demo.ReportsDir) == "" {
		bad("demo.reports_dir", "is empty, and no Roundtable is configured")
	}

	if db := strings.TrimSpace(c.Database.URL.Reveal()); db == "" {
		bad("database.url", "is empty (VERDICT_DATABASE_URL; default %s)", DefaultDatabaseURL)
	} else if scheme, _, ok := strings.Cut(db, "://"); ok {
		switch scheme {
		case "sqlite", "postgres", "postgresql":
		default:
			bad("database.url", "scheme %q is not sqlite, postgres or postgresql", scheme)
		}
	}
	if c.Database.RetentionDays < 0 {
		bad("database.retention_days", "must not be negative (0 keeps traces forever)")
	}
	if c.Database.RetentionEvery <= 0 {
		bad("database.retention_every", "must be positive")
	}
	if k := c.Database.CheckpointKey.Reveal(); k != "" {
		if b, err := hex.DecodeString(k); err != nil || (len(b) != 32 && len(b) != 64) {
			bad("database.checkpoint_key", "is not an Ed25519 key in hex (a 32-byte seed or the 64-byte key; VERDICT_CHECKPOINT_KEY)")
		}
	}
	if c.Database.CheckpointEvery < 0 {
		bad("database.checkpoint_every", "must not be negative (0 turns periodic checkpoints off)")
	}
	hmacMasked := false
	for _, f := range c.Database.MaskFields {
		field, how, _ := strings.Cut(f, ":")
		switch {
		case how != "" && how != "hmac" && how != "remove":
			bad("database.mask_fields", "%q: the way is %q; use :hmac (the default) or :remove", f, how)
		case field == "":
			bad("database.mask_fields", "%q names no field", f)
		case how != "remove":
			hmacMasked = true
		}
	}
	if hmacMasked && len(c.Database.MaskKey.Reveal()) < 16 {
		bad("database.mask_key", "must be set, at least 16 bytes, when a field is masked by HMAC (VERDICT_MASK_KEY)")
	}

	validateWebhooks(c.Webhooks, bad) // webhooks.go

	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration:\n  %w", joinIndented(errs))
	}
	return nil
}

// IsLoopbackHost reports whether host names only the local machine:
// "localhost" or a loopback IP. An empty host (all interfaces) is not.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// indented joins errors one per line, indented under "invalid configuration:".
type indented []error

// Error implements error.
func (e indented) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "\n  ")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (e indented) Unwrap() []error { return e }

func joinIndented(errs []error) error { return indented(errs) }
