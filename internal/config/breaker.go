package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BreakerConfig configures the circuit breaker of the Roundtable client
// (docs/operations.md, "Roundtable: retries and the circuit breaker"). The
// defaults are the fetcher's own.
type BreakerConfig struct {
	// Failures is how many distinct sessions must have had an attempt fail
	// (5xx, timeout, connection error) within Window for the breaker to
	// open; however often one session fails, it counts once.
	// Env ROUNDTABLE_BREAKER_FAILURES. Default 5; 1..MaxBreakerFailures.
	Failures int `yaml:"failures"`
	// Ratio is the least share the failing sessions must make of the
	// window's outcomes (each successful attempt counts once, each failing
	// session once) for the breaker to open; 1 opens it only when nothing
	// succeeded in the window. Env ROUNDTABLE_BREAKER_RATIO. Default 0.5;
	// above 0, at most 1.
	Ratio float64 `yaml:"ratio"`
	// Window is how far back failures and successes count; it slides by a
	// tenth of itself. Env ROUNDTABLE_BREAKER_WINDOW. Default 30s.
	Window time.Duration `yaml:"window"`
	// Cooldown is how long the open breaker fails fast before it lets probes
	// through. Env ROUNDTABLE_BREAKER_COOLDOWN. Default 10s.
	Cooldown time.Duration `yaml:"cooldown"`
	// Probes is how many attempts the half-open breaker lets through at
	// once; that many successes close it, one failure opens it again.
	// Env ROUNDTABLE_BREAKER_PROBES. Default 1; 1..MaxBreakerProbes.
	Probes int `yaml:"probes"`
}

// MaxBreakerFailures is the most failing sessions the breaker can be asked
// to wait for: it tracks at most this many (fetcher's bound), so a higher
// threshold would never open it.
const MaxBreakerFailures = 4096

// MaxBreakerProbes bounds the probes let through at once against a
// Roundtable that may just be recovering.
const MaxBreakerProbes = 100

// minBreakerWindow is the shortest window: it slides by a tenth of itself,
// and slices shorter than 10ms count next to nothing.
const minBreakerWindow = 100 * time.Millisecond

// DefaultBreaker is the breaker of the default configuration, the same as
// fetcher's defaults.
func DefaultBreaker() BreakerConfig {
	return BreakerConfig{Failures: 5, Ratio: 0.5, Window: 30 * time.Second, Cooldown: 10 * time.Second, Probes: 1}
}

// applyEnv overrides the breaker's settings from the environment.
func (b *BreakerConfig) applyEnv(getenv func(string) string) error {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	for _, v := range []struct {
		name string
		dst  *int
	}{
		{"ROUNDTABLE_BREAKER_FAILURES", &b.Failures},
		{"ROUNDTABLE_BREAKER_PROBES", &b.Probes},
	} {
		if s := get(v.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("%s: %q is not a whole number", v.name, s)
			}
			*v.dst = n
		}
	}
	if s := get("ROUNDTABLE_BREAKER_RATIO"); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("ROUNDTABLE_BREAKER_RATIO: %q is not a number (e.g. 0.5)", s)
		}
		b.Ratio = r
	}
	for _, v := range []struct {
		name string
		dst  *time.Duration
	}{
		{"ROUNDTABLE_BREAKER_WINDOW", &b.Window},
		{"ROUNDTABLE_BREAKER_COOLDOWN", &b.Cooldown},
	} {
		if s := get(v.name); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%s: %q is not a duration (e.g. 30s, 1m)", v.name, s)
			}
			*v.dst = d
		}
	}
	return nil
}

// validate reports each setting out of range, by its key.
func (b BreakerConfig) validate(bad func(field, format string, args ...any)) {
	const p = "roundtable.breaker."
	if b.Failures < 1 || b.Failures > MaxBreakerFailures {
		bad(p+"failures", "%d is outside 1..%d sessions (ROUNDTABLE_BREAKER_FAILURES)", b.Failures, MaxBreakerFailures)
	}
	if !(b.Ratio > 0 && b.Ratio <= 1) { // also refuses NaN
		bad(p+"ratio", "%v is outside (0, 1]: the least share of failing sessions among the window's outcomes (ROUNDTABLE_BREAKER_RATIO)", b.Ratio)
	}
	switch {
	case b.Window <= 0:
		bad(p+"window", "%s must be positive (ROUNDTABLE_BREAKER_WINDOW)", b.Window)
	case b.Window < minBreakerWindow:
		bad(p+"window", "%s must be at least %s (ROUNDTABLE_BREAKER_WINDOW)", b.Window, minBreakerWindow)
	}
	if b.Cooldown <= 0 {
		bad(p+"cooldown", "%s must be positive (ROUNDTABLE_BREAKER_COOLDOWN)", b.Cooldown)
	}
	if b.Probes < 1 || b.Probes > MaxBreakerProbes {
		bad(p+"probes", "%d is outside 1..%d (ROUNDTABLE_BREAKER_PROBES)", b.Probes, MaxBreakerProbes)
	}
}
