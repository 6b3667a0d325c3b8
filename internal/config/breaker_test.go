package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBreakerSettings(t *testing.T) {
	cases := []struct {
		name string
		yaml string // the file's roundtable section; empty: no file
		env  map[string]string
		want BreakerConfig
	}{
		{"defaults", "", nil, BreakerConfig{Failures: 5, Ratio: 0.5, Window: 30 * time.Second, Cooldown: 10 * time.Second, Probes: 1}},
		{"all from the file", "roundtable:\n  breaker: {failures: 8, ratio: 0.75, window: 1m, cooldown: 5s, probes: 2}\n", nil,
			BreakerConfig{Failures: 8, Ratio: 0.75, Window: time.Minute, Cooldown: 5 * time.Second, Probes: 2}},
		{"some from the file, the rest default", "roundtable:\n  breaker: {window: 10s}\n", nil,
			BreakerConfig{Failures: 5, Ratio: 0.5, Window: 10 * time.Second, Cooldown: 10 * time.Second, Probes: 1}},
		{"env over the file", "roundtable:\n  breaker: {failures: 8, ratio: 0.75, window: 1m, cooldown: 5s, probes: 2}\n",
			map[string]string{"ROUNDTABLE_BREAKER_FAILURES": "3", "ROUNDTABLE_BREAKER_RATIO": "1", "ROUNDTABLE_BREAKER_WINDOW": "45s",
				"ROUNDTABLE_BREAKER_COOLDOWN": "2m", "ROUNDTABLE_BREAKER_PROBES": " 4 "},
			BreakerConfig{Failures: 3, Ratio: 1, Window: 45 * time.Second, Cooldown: 2 * time.Minute, Probes: 4}},
		{"the limits themselves", "", map[string]string{"ROUNDTABLE_BREAKER_FAILURES": "4096", "ROUNDTABLE_BREAKER_PROBES": "100", "ROUNDTABLE_BREAKER_WINDOW": "100ms"},
			BreakerConfig{Failures: 4096, Ratio: 0.5, Window: 100 * time.Millisecond, Cooldown: 10 * time.Second, Probes: 100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(writeConfig(t, c.yaml), env(c.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := cfg.Roundtable.Breaker; got != c.want {
				t.Fatalf("breaker %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestBreakerErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		env  map[string]string
		want []string // substrings of the error, each
	}{
		{"zero window", "roundtable:\n  breaker: {window: 0s}\n", nil, []string{"roundtable.breaker.window: 0s must be positive"}},
		{"negative window from env", "", map[string]string{"ROUNDTABLE_BREAKER_WINDOW": "-30s"}, []string{"roundtable.breaker.window: -30s must be positive"}},
		{"window too short to slide", "", map[string]string{"ROUNDTABLE_BREAKER_WINDOW": "50ms"}, []string{"roundtable.breaker.window: 50ms must be at least 100ms"}},
		{"window not a duration", "", map[string]string{"ROUNDTABLE_BREAKER_WINDOW": "30"}, []string{"ROUNDTABLE_BREAKER_WINDOW", "not a duration"}},
		{"zero cooldown", "roundtable:\n  breaker: {cooldown: 0s}\n", nil, []string{"roundtable.breaker.cooldown: 0s must be positive"}},
		{"zero failures", "roundtable:\n  breaker: {failures: 0}\n", nil, []string{"roundtable.breaker.failures: 0 is outside 1..4096"}},
		{"more failures than are tracked", "", map[string]string{"ROUNDTABLE_BREAKER_FAILURES": "5000"}, []string{"roundtable.breaker.failures: 5000 is outside 1..4096"}},
		{"failures in words", "", map[string]string{"ROUNDTABLE_BREAKER_FAILURES": "five"}, []string{"ROUNDTABLE_BREAKER_FAILURES", "not a whole number"}},
		{"zero ratio", "roundtable:\n  breaker: {ratio: 0}\n", nil, []string{"roundtable.breaker.ratio: 0 is outside (0, 1]"}},
		{"ratio over one", "", map[string]string{"ROUNDTABLE_BREAKER_RATIO": "1.5"}, []string{"roundtable.breaker.ratio: 1.5 is outside (0, 1]"}},
		{"ratio NaN", "", map[string]string{"ROUNDTABLE_BREAKER_RATIO": "NaN"}, []string{"roundtable.breaker.ratio: NaN is outside"}},
		{"ratio as a percentage", "", map[string]string{"ROUNDTABLE_BREAKER_RATIO": "50%"}, []string{"ROUNDTABLE_BREAKER_RATIO", "not a number"}},
		{"zero probes", "roundtable:\n  breaker: {probes: 0}\n", nil, []string{"roundtable.breaker.probes: 0 is outside 1..100"}},
		{"negative probes", "", map[string]string{"ROUNDTABLE_BREAKER_PROBES": "-1"}, []string{"roundtable.breaker.probes: -1 is outside 1..100"}},
		{"unknown key", "roundtable:\n  breaker: {threshold: 3}\n", nil, []string{"field threshold not found"}},
		{"every problem at once", "roundtable:\n  breaker: {failures: 0, ratio: 2, window: 0s, cooldown: -1s, probes: 0}\n", nil,
			[]string{"breaker.failures", "breaker.ratio", "breaker.window", "breaker.cooldown", "breaker.probes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, c.yaml), env(c.env))
			if err == nil {
				t.Fatalf("Load succeeded, want an error with %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// writeConfig writes a configuration file and returns its path; "" for none.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	if yaml == "" {
		return ""
	}
	path := filepath.Join(t.TempDir(), "verdict.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
