package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// applyEnv overrides fields from the environment. Only variables that are set
// and not empty take effect.
func (c *Config) applyEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	dur := func(name string, dst *time.Duration) error {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s: %q is not a duration (e.g. 1.5s, 250ms)", name, v)
		}
		*dst = d
		return nil
	}
	str("VERDICT_LISTEN_ADDR", &c.ListenAddr)
	str("VERDICT_RULES_DIR", &c.RulesDir)
	if v := getenv("VERDICT_API_KEYS"); strings.TrimSpace(v) != "" {
		c.APIKeys = nil
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				c.APIKeys = append(c.APIKeys, e)
			}
		}
	}
	str("VERDICT_LOG_FORMAT", &c.Log.Format)
	str("VERDICT_LOG_LEVEL", &c.Log.Level)
	if v := strings.TrimSpace(getenv("VERDICT_BODY_LIMIT")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("VERDICT_BODY_LIMIT: %q is not a number of bytes", v)
		}
		c.HTTP.BodyLimit = n
	}
	for _, v := range []struct {
		name string
		dst  *int
	}{
		{"VERDICT_CONTEXT_MAX_DEPTH", &c.HTTP.ContextMaxDepth},
		{"VERDICT_CONTEXT_MAX_KEYS", &c.HTTP.ContextMaxKeys},
		{"VERDICT_CONTEXT_MAX_STRING", &c.HTTP.ContextMaxString},
		{"VERDICT_COUNTER_MAX_EVENTS_PER_KEY", &c.Counters.MaxEventsPerKey},
	} {
		if s := strings.TrimSpace(getenv(v.name)); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("%s: %q is not a whole number", v.name, s)
			}
			*v.dst = n
		}
	}
	for _, v := range []struct {
		name string
		dst  *int64
	}{
		{"VERDICT_POLICY_COST", &c.PolicyLimits.Cost},
		{"VERDICT_POLICY_MEMORY_BYTES", &c.PolicyLimits.MemoryBytes},
		{"VERDICT_COUNTER_BUDGET_BYTES", &c.Counters.BudgetBytes},
	} {
		if s := strings.TrimSpace(getenv(v.name)); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not a whole number", v.name, s)
			}
			*v.dst = n
		}
	}
	if err := dur("VERDICT_REQUEST_TIMEOUT", &c.HTTP.RequestTimeout); err != nil {
		return err
	}
	if err := dur("VERDICT_SHUTDOWN_TIMEOUT", &c.HTTP.ShutdownTimeout); err != nil {
		return err
	}
	if err := dur("VERDICT_SHUTDOWN_DELAY", &c.HTTP.ShutdownDelay); err != nil {
		return err
	}
	if v := strings.TrimSpace(getenv("VERDICT_TRUST_FORWARDED_PROTO")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("VERDICT_TRUST_FORWARDED_PROTO: %q is not true or false", v)
		}
		c.HTTP.TrustForwardedProto = b
	}
	if v := strings.TrimSpace(getenv("VERDICT_RELOAD_WATCH")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("VERDICT_RELOAD_WATCH: %q is not true or false", v)
		}
		c.Reload.Watch = b
	}
	str("ROUNDTABLE_BASE_URL", &c.Roundtable.BaseURL)
	if v := strings.TrimSpace(getenv("ROUNDTABLE_API_KEY")); v != "" {
		c.Roundtable.APIKey = Secret(v)
	}
	if err := dur("ROUNDTABLE_TIMEOUT", &c.Roundtable.Timeout); err != nil {
		return err
	}
	if err := dur("ROUNDTABLE_CACHE_TTL", &c.Roundtable.CacheTTL); err != nil {
		return err
	}
	if err := c.Roundtable.Breaker.applyEnv(getenv); err != nil {
		return err
	}
	str("VERDICT_DEMO_REPORTS_DIR", &c.Demo.ReportsDir)
	if v := strings.TrimSpace(getenv("VERDICT_DATABASE_URL")); v != "" {
		c.Database.URL = Secret(v)
	}
	if v := strings.TrimSpace(getenv("VERDICT_RETENTION_DAYS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("VERDICT_RETENTION_DAYS: %q is not a whole number of days (0 keeps traces forever)", v)
		}
		c.Database.RetentionDays = n
	}
	if v := strings.TrimSpace(getenv("VERDICT_CHECKPOINT_KEY")); v != "" {
		c.Database.CheckpointKey = Secret(v)
	}
	if err := dur("VERDICT_CHECKPOINT_EVERY", &c.Database.CheckpointEvery); err != nil {
		return err
	}
	if v := strings.TrimSpace(getenv("VERDICT_MASK_FIELDS")); v != "" {
		c.Database.MaskFields = nil
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				c.Database.MaskFields = append(c.Database.MaskFields, f)
			}
		}
	}
	if v := strings.TrimSpace(getenv("VERDICT_MASK_KEY")); v != "" {
		c.Database.MaskKey = Secret(v)
	}
	if v := strings.TrimSpace(getenv("VERDICT_MONITOR_ONLY")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("VERDICT_MONITOR_ONLY: %q is not true or false", v)
		}
		c.MonitorOnly = b
	}
	return nil
}

// EnvVars lists every environment variable Load reads, for documentation and
// `verdict serve --help`.
var EnvVars = []string{
	"VERDICT_LISTEN_ADDR", "VERDICT_RULES_DIR", "VERDICT_API_KEYS",
	"VERDICT_LOG_FORMAT", "VERDICT_LOG_LEVEL",
	"VERDICT_BODY_LIMIT", "VERDICT_CONTEXT_MAX_DEPTH", "VERDICT_CONTEXT_MAX_KEYS", "VERDICT_CONTEXT_MAX_STRING", "VERDICT_REQUEST_TIMEOUT", "VERDICT_SHUTDOWN_TIMEOUT", "VERDICT_SHUTDOWN_DELAY",
	"VERDICT_TRUST_FORWARDED_PROTO", "VERDICT_RELOAD_WATCH", "VERDICT_DEMO_REPORTS_DIR",
	"VERDICT_DATABASE_URL", "VERDICT_RETENTION_DAYS", "VERDICT_MONITOR_ONLY",
	"VERDICT_CHECKPOINT_KEY", "VERDICT_CHECKPOINT_EVERY", "VERDICT_MASK_FIELDS", "VERDICT_MASK_KEY",
	"ROUNDTABLE_BASE_URL", "ROUNDTABLE_API_KEY", "ROUNDTABLE_TIMEOUT", "ROUNDTABLE_CACHE_TTL",
	"ROUNDTABLE_BREAKER_FAILURES", "ROUNDTABLE_BREAKER_RATIO", "ROUNDTABLE_BREAKER_WINDOW",
	"ROUNDTABLE_BREAKER_COOLDOWN", "ROUNDTABLE_BREAKER_PROBES",
}
