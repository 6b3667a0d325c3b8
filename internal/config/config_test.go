package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaultsAreTheDemo(t *testing.T) {
	c, err := Load("", env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.ListenAddr != "127.0.0.1:8080" || c.RulesDir != "rules" || !c.DemoRoundtable() || !c.DemoKeyInUse() ||
		c.Database.URL.Reveal() != "data/verdict.db" || c.Database.RetentionDays != 0 || c.MonitorOnly {
		t.Fatalf("defaults are not the loopback demo: %+v", c)
	}
	keys := c.Keys()
	if len(keys) != 1 || keys[0].ID != "demo" || strings.Join(keys[0].Scopes, "+") != "decide+evaluate+audit+admin+review" {
		t.Fatalf("demo key not in use: %+v", keys)
	}
}

func TestLoadFileThenEnv(t *testing.T) {
	c, err := Load("testdata/full.yaml", env(map[string]string{
		"VERDICT_LISTEN_ADDR":                "127.0.0.1:7070",
		"VERDICT_REQUEST_TIMEOUT":            "4s",
		"ROUNDTABLE_API_KEY":                 "sk-from-env",
		"VERDICT_API_KEYS":                   "ops:admin:aaaaaaaaaaaaaaaaaaaa, checkout:decide:bbbbbbbbbbbbbbbbbbbb",
		"VERDICT_DATABASE_URL":               "postgres://verdict:pw@db:5432/verdict",
		"VERDICT_MONITOR_ONLY":               "true",
		"VERDICT_POLICY_COST":                "750000",
		"VERDICT_COUNTER_MAX_EVENTS_PER_KEY": "2000",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen_addr from env", c.ListenAddr, "127.0.0.1:7070"},
		{"rules_dir from file", c.RulesDir, "/etc/verdict/rules"},
		{"policy_limits.cost from env", c.PolicyLimits.Cost, int64(750000)},
		{"policy_limits from file", c.PolicyLimits, PolicyLimitsConfig{Cost: 750000, MemoryBytes: 4 << 20, FileBytes: 256 << 10, ExprChars: 4000, Nesting: 50, Variables: 200, Rules: 300}},
		{"counters.budget_bytes from file", c.Counters.BudgetBytes, int64(256 << 20)},
		{"counters.max_events_per_key from env", c.Counters.MaxEventsPerKey, 2000},
		{"log.format from file", c.Log.Format, "console"},
		{"body_limit from file", c.HTTP.BodyLimit, int64(32768)},
		{"request_timeout from env", c.HTTP.RequestTimeout, 4 * time.Second},
		{"reload.watch from file", c.Reload.Watch, false},
		{"shutdown_delay from file", c.HTTP.ShutdownDelay, 3 * time.Second},
		{"roundtable key from env", c.Roundtable.APIKey.Reveal(), "sk-from-env"},
		{"roundtable cache_size from file", c.Roundtable.CacheSize, 500},
		{"roundtable breaker from file", c.Roundtable.Breaker, BreakerConfig{Failures: 8, Ratio: 0.75, Window: time.Minute, Cooldown: 5 * time.Second, Probes: 2}},
		{"keys replaced by env", len(c.Keys()), 2},
		{"first key id", c.Keys()[0].ID, "ops"},
		{"database url from env", c.Database.URL.Reveal(), "postgres://verdict:pw@db:5432/verdict"},
		{"retention_days from file", c.Database.RetentionDays, 90},
		{"monitor_only from env", c.MonitorOnly, true},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			if ch.got != ch.want {
				t.Fatalf("got %v, want %v", ch.got, ch.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name string
		file string
		env  map[string]string
		want string // substring of the error
	}{
		{"unknown yaml key", "testdata/unknown_key.yaml", nil, "field listen_adr not found"},
		{"missing file", "testdata/nope.yaml", nil, "no such file"},
		{"negative policy cost", "", map[string]string{"VERDICT_POLICY_COST": "-1"}, "policy_limits.cost"},
		{"policy cost in words", "", map[string]string{"VERDICT_POLICY_COST": "lots"}, "VERDICT_POLICY_COST"},
		{"negative counter budget", "", map[string]string{"VERDICT_COUNTER_BUDGET_BYTES": "-1"}, "counters.budget_bytes"},
		{"counter budget in words", "", map[string]string{"VERDICT_COUNTER_BUDGET_BYTES": "512MiB"}, "VERDICT_COUNTER_BUDGET_BYTES"},
		{"negative per-key cap", "", map[string]string{"VERDICT_COUNTER_MAX_EVENTS_PER_KEY": "-5"}, "counters.max_events_per_key"},
		{"demo key on all interfaces", "", map[string]string{"VERDICT_LISTEN_ADDR": ":8080"}, "demo key may only serve a loopback"},
		{"demo key named explicitly on a public address", "", map[string]string{"VERDICT_LISTEN_ADDR": "10.0.0.1:8080", "VERDICT_API_KEYS": DemoKey}, "demo key may only serve a loopback"},
		{"bad listen addr", "", map[string]string{"VERDICT_LISTEN_ADDR": "8080"}, "listen_addr"},
		{"empty scope", "", map[string]string{"VERDICT_API_KEYS": "a:decide+:aaaaaaaaaaaaaaaaaaaa"}, `entry #1 (id "a"): scope #2 is empty`},
		{"short secret", "", map[string]string{"VERDICT_API_KEYS": "a:decide:short"}, "shorter than 16"},
		{"missing secret", "", map[string]string{"VERDICT_API_KEYS": "a:decide"}, "want id:scope+scope:secret"},
		{"duplicate id", "", map[string]string{"VERDICT_API_KEYS": "a:decide:aaaaaaaaaaaaaaaaaaaa,a:admin:bbbbbbbbbbbbbbbbbbbb"}, "appears twice"},
		{"shared secret", "", map[string]string{"VERDICT_API_KEYS": "a:decide:aaaaaaaaaaaaaaaaaaaa,b:admin:aaaaaaaaaaaaaaaaaaaa"}, "share one secret"},
		{"log format", "", map[string]string{"VERDICT_LOG_FORMAT": "xml"}, "log.format"},
		{"log level", "", map[string]string{"VERDICT_LOG_LEVEL": "loud"}, "log.level"},
		{"bad duration", "", map[string]string{"VERDICT_REQUEST_TIMEOUT": "5"}, "not a duration"},
		{"bad body limit", "", map[string]string{"VERDICT_BODY_LIMIT": "1"}, "http.body_limit"},
		{"base url without key", "", map[string]string{"ROUNDTABLE_BASE_URL": "https://api.poh.org"}, "roundtable.api_key"},
		{"base url not http", "", map[string]string{"ROUNDTABLE_BASE_URL": "ftp://x", "ROUNDTABLE_API_KEY": "sk-x"}, "roundtable.base_url"},
		{"fetch budget over request timeout", "", map[string]string{"ROUNDTABLE_TIMEOUT": "6s"}, "must be shorter than http.request_timeout"},
		{"negative shutdown delay", "", map[string]string{"VERDICT_SHUTDOWN_DELAY": "-1s"}, "http.shutdown_delay"},
		{"reload watch not bool", "", map[string]string{"VERDICT_RELOAD_WATCH": "perhaps"}, "VERDICT_RELOAD_WATCH"},
		{"database url scheme", "", map[string]string{"VERDICT_DATABASE_URL": "mysql://db/verdict"}, "database.url"},
		{"retention days not a number", "", map[string]string{"VERDICT_RETENTION_DAYS": "30d"}, "VERDICT_RETENTION_DAYS"},
		{"negative retention", "", map[string]string{"VERDICT_RETENTION_DAYS": "-1"}, "database.retention_days"},
		{"monitor only not bool", "", map[string]string{"VERDICT_MONITOR_ONLY": "maybe"}, "VERDICT_MONITOR_ONLY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.file, env(tc.env))
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestRoundtableKeyAloneUsesTheDefaultURL(t *testing.T) {
	c, err := Load("", env(map[string]string{"ROUNDTABLE_API_KEY": "sk-live-123"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.DemoRoundtable() || c.Roundtable.BaseURL != DefaultRoundtableURL {
		t.Fatalf("got demo=%v url=%q", c.DemoRoundtable(), c.Roundtable.BaseURL)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	c, err := Load("", env(map[string]string{
		"ROUNDTABLE_API_KEY":   "sk-very-secret-value",
		"VERDICT_API_KEYS":     "ci:decide:caller-secret-value-123",
		"VERDICT_DATABASE_URL": "postgres://verdict:db-secret-value@db/verdict",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	js, _ := json.Marshal(c.Roundtable)
	outs := map[string]string{
		"%v config":     fmt.Sprintf("%v", c.Roundtable),
		"%+v config":    fmt.Sprintf("%+v", c.Roundtable),
		"%#v config":    fmt.Sprintf("%#v", c.Roundtable.APIKey),
		"%+v keys":      fmt.Sprintf("%+v", c.Keys()),
		"json":          string(js),
		"%+v database":  fmt.Sprintf("%+v", c.Database),
		"key error msg": fmt.Sprint(mustErr(ParseAPIKey(1, "bad id!:decide:caller-secret-value-123"))),
	}
	for name, out := range outs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, "secret-value") {
				t.Fatalf("secret printed: %s", out)
			}
		})
	}
}

func mustErr(_ APIKey, err error) error { return err }

func TestParseAPIKeys(t *testing.T) {
	keys, err := ParseAPIKeys("a:decide+evaluate:s3cr3t:with:colons, ,b:admin:x")
	if err != nil {
		t.Fatalf("ParseAPIKeys: %v", err)
	}
	if len(keys) != 2 || keys[0].Secret.Reveal() != "s3cr3t:with:colons" || strings.Join(keys[0].Scopes, "+") != "decide+evaluate" ||
		keys[0].Entry != 1 || keys[1].Entry != 3 || keys[1].ID != "b" {
		t.Fatalf("got %+v", keys)
	}
	if _, err := ParseAPIKeys("a::x"); err == nil {
		t.Fatal("empty scope accepted")
	}
}

// TestAPIKeyErrorsNeverPrintASecret: whatever field a secret lands in, the
// error names the entry's position (and its id when the id is well-formed),
// never the value of another field.
func TestAPIKeyErrorsNeverPrintASecret(t *testing.T) {
	const secret = "sk-LEAKED-0123456789"
	cases := []struct {
		name, keys string
		want       string // substring of the error
	}{
		{"secret alone", secret, "entry #1: want id:scope+scope:secret, got 1"},
		{"secret as the id", "ops,x:decide:aaaaaaaaaaaaaaaaaaaa," + secret + "!:decide:bbbbbbbbbbbbbbbbbbbb", "entry #1: want id:scope+scope:secret"},
		{"secret as the id, bad character", "x:decide:aaaaaaaaaaaaaaaaaaaa," + secret + "!:decide:bbbbbbbbbbbbbbbbbbbb", "entry #2: the key id has a character other than"},
		{"secret without its scopes", "ops:" + secret, "entry #1: want id:scope+scope:secret, got 2"},
		{"secret too short in its place", "ops:decide:sk-short", `entry #1 (id "ops"): secret shorter than 16`},
		{"secret in the scope field, no secret", "ops:" + secret + ":", `entry #1 (id "ops"): empty secret`},
		{"empty id", ":decide:" + secret, "entry #1: empty key id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", env(map[string]string{"VERDICT_API_KEYS": tc.keys}))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if strings.Contains(err.Error(), "LEAKED") || strings.Contains(err.Error(), "sk-short") {
				t.Fatalf("the error prints a secret: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}
