package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration of `verdict serve`.
type Config struct {
	// ListenAddr is the host:port the API listens on. Env VERDICT_LISTEN_ADDR.
	// Default 127.0.0.1:8080 (loopback: the demo never listens on a network).
	ListenAddr string `yaml:"listen_addr"`

	// RulesDir is the folder of policy files, watched for changes.
	// Env VERDICT_RULES_DIR. Default "rules".
	RulesDir string `yaml:"rules_dir"`

	// APIKeys are the callers' keys, each "id:scope+scope:secret" (scopes:
	// decide, evaluate, audit, admin). Env VERDICT_API_KEYS, comma-separated,
	// replaces the file's list. When empty, the public DemoKey is used, and
	// only on a loopback ListenAddr.
	APIKeys []string `yaml:"api_keys"`

	// Log configures the service's logs.
	Log LogConfig `yaml:"log"`

	// HTTP configures the API server's limits and timeouts.
	HTTP HTTPConfig `yaml:"http"`

	// Reload configures policy hot reload.
	Reload ReloadConfig `yaml:"reload"`

	// PolicyLimits bound what a policy may ask of loading and of each
	// decision (the engine's Limits); zero keeps the engine's default.
	PolicyLimits PolicyLimitsConfig `yaml:"policy_limits"`

	// Counters bounds the memory of the policies' velocity counters.
	Counters CountersConfig `yaml:"counters"`

	// Roundtable configures the upstream report API.
	Roundtable RoundtableConfig `yaml:"roundtable"`

	// Demo configures the built-in Roundtable simulator used when no
	// Roundtable base URL or key is set.
	Demo DemoConfig `yaml:"demo"`

	// Database configures the decision log.
	Database DatabaseConfig `yaml:"database"`

	// MonitorOnly answers allow to every decision while the decision log
	// records what the policy would have decided (a monitor-only rollout).
	// Env VERDICT_MONITOR_ONLY (true/false). Default false.
	MonitorOnly bool `yaml:"monitor_only"`

	// Webhooks receive review and decision events (docs/webhooks.md). File
	// only. Default none.
	Webhooks []WebhookConfig `yaml:"webhooks"`

	keys []APIKey // parsed APIKeys, filled by Validate
}

// LogConfig configures logging.
type LogConfig struct {
	// Format is "json" (one JSON object per line), "console" (readable), or
	// "auto": console when stderr is a terminal, else json.
	// Env VERDICT_LOG_FORMAT. Default "auto".
	Format string `yaml:"format"`
	// Level is the lowest level logged: debug, info, warn or error.
	// Env VERDICT_LOG_LEVEL. Default "info".
	Level string `yaml:"level"`
}

// HTTPConfig configures the API server.
type HTTPConfig struct {
	// BodyLimit is the largest request body accepted, in bytes; a larger one
	// gets 413. Env VERDICT_BODY_LIMIT. Default 65536 (64 KiB).
	BodyLimit int64 `yaml:"body_limit"`
	// ContextMaxDepth is how deeply the caller's context may nest (the
	// context object is level 1); deeper is a 400 invalid_context. Env
	// VERDICT_CONTEXT_MAX_DEPTH. Default 32.
	ContextMaxDepth int `yaml:"context_max_depth"`
	// ContextMaxKeys is how many object members the context may hold in all,
	// at every level. Env VERDICT_CONTEXT_MAX_KEYS. Default 1000.
	ContextMaxKeys int `yaml:"context_max_keys"`
	// ContextMaxString is the longest string in the context (member name or
	// value), in bytes. Env VERDICT_CONTEXT_MAX_STRING. Default 65536 (64 KiB).
	ContextMaxString int `yaml:"context_max_string"`
	// RequestTimeout bounds the work on one request, the Roundtable fetch
	// included. Env VERDICT_REQUEST_TIMEOUT. Default 5s.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// ReadHeaderTimeout bounds reading a request's headers. Default 5s.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// IdleTimeout closes keep-alive connections idle this long. Default 120s.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// ShutdownTimeout is how long SIGTERM waits for requests in flight before
	// closing them. Env VERDICT_SHUTDOWN_TIMEOUT. Default 20s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// ShutdownDelay keeps accepting requests this long after SIGTERM, with
	// /readyz already answering 503, so load balancers stop routing to this
	// replica before its listener closes. Env VERDICT_SHUTDOWN_DELAY.
	// Default 0 (close at once).
	ShutdownDelay time.Duration `yaml:"shutdown_delay"`
	// TrustForwardedProto marks the console's session cookie Secure when a
	// proxy in front says "X-Forwarded-Proto: https". Set it only behind a
	// proxy that sets (or strips) that header. Env
	// VERDICT_TRUST_FORWARDED_PROTO (true/false). Default false.
	TrustForwardedProto bool `yaml:"trust_forwarded_proto"`
}

// ReloadConfig configures policy hot reload. SIGHUP and
// POST /v1/policies/reload always work; Watch adds reloading on file changes.
type ReloadConfig struct {
	// Watch reloads when a file in RulesDir changes (fsnotify).
	// Env VERDICT_RELOAD_WATCH (true/false). Default true.
	Watch bool `yaml:"watch"`
	// Debounce waits this long after the last change before reloading, so an
	// editor's several writes make one reload. Default 250ms.
	Debounce time.Duration `yaml:"debounce"`
}

// PolicyLimitsConfig is engine.Limits as configuration: a policy over any of
// them does not load (lint, validate, reload), with the limit named. Zero
// (absent) keeps the engine's default, given in brackets; docs/policies.md
// says what each counts.
type PolicyLimitsConfig struct {
	// Cost is the most work one decision may take, in cost units, summed
	// over the policy's rules (2,000,000: well within 50 ms of CPU).
	// Env VERDICT_POLICY_COST.
	Cost int64 `yaml:"cost"`
	// MemoryBytes is the most one decision may allocate in the worst case
	// (16 MiB). Env VERDICT_POLICY_MEMORY_BYTES.
	MemoryBytes int64 `yaml:"memory_bytes"`
	// FileBytes is the largest policy file (1 MiB).
	FileBytes int `yaml:"file_bytes"`
	// ExprChars is the longest expression, in characters (10,000).
	ExprChars int `yaml:"expr_chars"`
	// Nesting is the deepest nesting in an expression (100).
	Nesting int `yaml:"nesting"`
	// Variables and Rules are the most a policy may define (5,000 each).
	Variables int `yaml:"variables"`
	Rules     int `yaml:"rules"`
}

// CountersConfig bounds the velocity counters' memory (docs/memory.md).
// Zero (absent) keeps the default, given in brackets. A policy set whose
// counters cannot each hold one key at MaxEventsPerKey within BudgetBytes
// does not load (POST /v1/policies/validate and reloads; verdict lint
// checks the defaults); one whose
// counters, built from the decision log, would go over BudgetBytes is
// refused when it would go live, the counters named.
type CountersConfig struct {
	// BudgetBytes is the memory all counters together may take, in bytes
	// (536870912: 512 MiB). Env VERDICT_COUNTER_BUDGET_BYTES.
	BudgetBytes int64 `yaml:"budget_bytes"`
	// MaxEventsPerKey is the most decisions one key of one counter keeps
	// within its window (10,000): past it a key reads "at least".
	// Env VERDICT_COUNTER_MAX_EVENTS_PER_KEY.
	MaxEventsPerKey int `yaml:"max_events_per_key"`
}

// RoundtableConfig configures the Roundtable client.
type RoundtableConfig struct {
	// BaseURL is Roundtable's API root, e.g. https://api.poh.org.
	// Env ROUNDTABLE_BASE_URL. Default https://api.poh.org when APIKey is set;
	// when both are empty, verdict runs the demo simulator.
	BaseURL string `yaml:"base_url"`
	// APIKey is the secret key (sk-...). Env ROUNDTABLE_API_KEY. Never logged.
	APIKey Secret `yaml:"api_key"`
	// Timeout is the total budget of one report fetch, retries included.
	// Env ROUNDTABLE_TIMEOUT. Default 1.5s.
	Timeout time.Duration `yaml:"timeout"`
	// CacheTTL is how long a fetched report is reused (scores move while a
	// session is live: keep it short). Negative disables the cache.
	// Env ROUNDTABLE_CACHE_TTL. Default 3s.
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// CacheSize is the most reports kept in the cache. Default 10000.
	CacheSize int `yaml:"cache_size"`
	// Breaker configures the circuit breaker (breaker.go).
	Breaker BreakerConfig `yaml:"breaker"`
}

// DemoConfig configures the demo mode.
type DemoConfig struct {
	// ReportsDir is the folder of report JSON files the simulator serves.
	// Env VERDICT_DEMO_REPORTS_DIR. Default "testdata/reports".
	ReportsDir string `yaml:"reports_dir"`
}

// DatabaseConfig configures the decision log (package audit).
type DatabaseConfig struct {
	// URL names the log: a file path, sqlite://PATH or file:PATH for the
	// embedded SQLite store, postgres://... for PostgreSQL (shared by
	// several replicas). Migrations run at start. Env VERDICT_DATABASE_URL.
	// Default "data/verdict.db" (an SQLite file under the working directory).
	URL Secret `yaml:"url"`
	// RetentionDays prunes traces older than this many days, in the
	// background; 0 keeps them forever. Env VERDICT_RETENTION_DAYS. Default 0.
	RetentionDays int `yaml:"retention_days"`
	// RetentionEvery is how often retention runs. Default 1h.
	RetentionEvery time.Duration `yaml:"retention_every"`
	// CheckpointKey is the Ed25519 private key (hex: the 32-byte seed or the
	// 64-byte key) that signs the hash chain's checkpoints; empty leaves
	// them unsigned. Env VERDICT_CHECKPOINT_KEY. Its public key, which
	// auditors verify exported checkpoints with, is logged at start.
	CheckpointKey Secret `yaml:"checkpoint_key"`
	// CheckpointEvery is how often the chain heads are checkpointed; 0
	// turns periodic checkpoints off. Env VERDICT_CHECKPOINT_EVERY. Default 1h.
	CheckpointEvery time.Duration `yaml:"checkpoint_every"`
	// MaskFields names the trace fields masked before anything is stored:
	// "context.email", "user_id", "report.<path>" ..., each optionally
	// followed by ":remove" (dropped) or ":hmac" (the default: replaced by
	// keyed HMAC-SHA256, so equal values stay equal). Env VERDICT_MASK_FIELDS
	// (comma-separated).
	MaskFields []string `yaml:"mask_fields"`
	// MaskKey is the HMAC key of masking; required when a field is masked by
	// HMAC. Env VERDICT_MASK_KEY.
	MaskKey Secret `yaml:"mask_key"`
}

// DefaultDatabaseURL is the decision log used with no configuration: an
// SQLite file in the data folder under the working directory. `verdict serve`
// writes it; `verdict audit export` and `verdict replay` read it by default.
const DefaultDatabaseURL = "data/verdict.db"

// DefaultRoundtableURL is used when a Roundtable key is set without a base URL.
const DefaultRoundtableURL = "https://api.poh.org"

// Default returns the configuration with every default filled in: the demo.
func Default() *Config {
	return &Config{
		ListenAddr: "127.0.0.1:8080",
		RulesDir:   "rules",
		Log:        LogConfig{Format: "auto", Level: "info"},
		HTTP: HTTPConfig{
			BodyLimit:         64 << 10,
			ContextMaxDepth:   32,
			ContextMaxKeys:    1000,
			ContextMaxString:  64 << 10,
			RequestTimeout:    5 * time.Second,
			ReadHeaderTimeout: 5 * time.Second,
			IdleTimeout:       120 * time.Second,
			ShutdownTimeout:   20 * time.Second,
		},
		Reload:     ReloadConfig{Watch: true, Debounce: 250 * time.Millisecond},
		Roundtable: RoundtableConfig{Timeout: 1500 * time.Millisecond, CacheTTL: 3 * time.Second, CacheSize: 10000, Breaker: DefaultBreaker()},
		Demo:       DemoConfig{ReportsDir: "testdata/reports"},
		Database:   DatabaseConfig{URL: DefaultDatabaseURL, RetentionEvery: time.Hour, CheckpointEvery: time.Hour},
	}
}

// Load builds the configuration: defaults, then the YAML file at path (when
// path is not empty), then the environment read through getenv (os.Getenv
// in production), then Validate.
func Load(path string, getenv func(string) string) (*Config, error) {
	c := Default()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := c.decodeYAML(f); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return nil, fmt.Errorf("config: environment: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeYAML reads one YAML document strictly: unknown keys are errors.
func (c *Config) decodeYAML(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Keys returns the parsed API keys (the demo key when none is configured).
// It is filled by Validate.
func (c *Config) Keys() []APIKey { return c.keys }

// DemoRoundtable reports whether the built-in simulator stands in for
// Roundtable: no base URL and no key configured.
func (c *Config) DemoRoundtable() bool {
	return c.Roundtable.BaseURL == "" && c.Roundtable.APIKey == ""
}

// DemoKeyInUse reports whether no API key is configured, so the public demo
// key is the only one.
func (c *Config) DemoKeyInUse() bool { return len(c.APIKeys) == 0 }
