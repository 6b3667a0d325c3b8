package fetcher_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/report"
)

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     fetcher.Config
		wantErr string
	}{
		{"no base URL", fetcher.Config{}, "base URL is required"},
		{"not a URL", fetcher.Config{BaseURL: "://x"}, "missing protocol scheme"},
		{"no scheme", fetcher.Config{BaseURL: "api.poh.org"}, "want http(s)://host"},
		{"ftp", fetcher.Config{BaseURL: "ftp://api.poh.org"}, "want http(s)://host"},
		{"query", fetcher.Config{BaseURL: "https://api.poh.org/?a=b"}, "must not carry a query"},
		{"user info", fetcher.Config{BaseURL: "https://u:pw@api.poh.org"}, "must not carry"},
		{"user info, bad scheme", fetcher.Config{BaseURL: "ftp://u:pw@api.poh.org"}, "want http(s)://host"},
		{"user info, bad URL", fetcher.Config{BaseURL: "https://u:pw@api.poh.org:port"}, "invalid port"},
		{"negative timeout", fetcher.Config{BaseURL: "https://api.poh.org", Timeout: -1}, "Timeout must not be negative"},
		{"negative attempts", fetcher.Config{BaseURL: "https://api.poh.org", MaxAttempts: -1}, "must not be negative"},
		{"ok", fetcher.Config{BaseURL: "https://api.poh.org"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fetcher.New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error %q shows the URL's password", err)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := fetcher.New(fetcher.Config{BaseURL: "https://api.poh.org/", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := c.Config()
	checks := []struct {
		name      string
		got, want any
	}{
		{"BaseURL", got.BaseURL, "https://api.poh.org"},
		{"APIKey", got.APIKey, "[redacted]"},
		{"Timeout", got.Timeout, fetcher.DefaultTimeout},
		{"ConnectTimeout", got.ConnectTimeout, fetcher.DefaultConnectTimeout},
		{"TLSHandshakeTimeout", got.TLSHandshakeTimeout, fetcher.DefaultTLSHandshakeTimeout},
		{"ResponseHeaderTimeout", got.ResponseHeaderTimeout, fetcher.DefaultResponseHeaderTimeout},
		{"MaxBodyBytes", got.MaxBodyBytes, int64(fetcher.DefaultMaxBodyBytes)},
		{"MaxAttempts", got.MaxAttempts, fetcher.DefaultMaxAttempts},
		{"BreakerFailures", got.BreakerFailures, uint32(fetcher.DefaultBreakerFailures)},
		{"BreakerCooldown", got.BreakerCooldown, fetcher.DefaultBreakerCooldown},
		{"CacheTTL", got.CacheTTL, fetcher.DefaultCacheTTL},
		{"CacheSize", got.CacheSize, fetcher.DefaultCacheSize},
		{"BreakerState", c.BreakerState(), "closed"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if got.Timeout > 2*time.Second {
		t.Errorf("default budget %s is past a checkout's patience", got.Timeout)
	}
}

func TestFetchAfterClose(t *testing.T) {
	h := newHarness(t, nil)
	h.client.Close()
	_, _, err := h.fetch("sess-full")
	if !errors.Is(err, report.ErrUnavailable) || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Fetch after Close: %v", err)
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("upstream requests = %d, want 0", n)
	}
}

// TestReportRaw: Report.Raw is the body exactly as the simulator sent it.
func TestReportRaw(t *testing.T) {
	h := newHarness(t, nil)
	rep, _, err := h.fetch("sess-full")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := h.srv.Report("sess-full")
	if string(rep.Raw) != string(body) {
		t.Error("Report.Raw differs from the body served")
	}
	if rep.RiskScore != 75 || rep.DeviceChecks.Get("vpn") != report.Detected {
		t.Errorf("report = %+v", rep)
	}
}

// TestConfigPrintsNoKey: printing a Config, however, never shows the key.
func TestConfigPrintsNoKey(t *testing.T) {
	cfg := fetcher.Config{BaseURL: "https://api.poh.org", APIKey: testKey}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", &cfg), string(js)} {
		if strings.Contains(out, testKey) || strings.Contains(out, "S3CR3T") {
			t.Errorf("printed Config shows the key: %s", out)
		}
	}
	if !strings.Contains(fmt.Sprint(cfg), "[redacted]") {
		t.Errorf("String() = %s, want the key marked [redacted]", cfg)
	}
}

// TestBaseURLSecretsNeverPrinted: a base URL with a password, or a secret in
// its query, is refused by New and printed by Config.String without them.
func TestBaseURLSecretsNeverPrinted(t *testing.T) {
	for _, base := range []string{
		"https://verdict:S3cr3tPw@api.poh.org",
		"https://api.poh.org/?api_key=S3cr3tPw",
		"https://api.poh.org/#S3cr3tPw",
		"ftp://verdict:S3cr3tPw@api.poh.org",
		"https://verdict:S3cr3tPw@api.poh.org:notaport",
	} {
		cfg := fetcher.Config{BaseURL: base}
		_, err := fetcher.New(cfg)
		if err == nil {
			t.Fatalf("New(%q) succeeded", base)
		}
		for _, out := range []string{err.Error(), cfg.String(), fmt.Sprintf("%+v", cfg)} {
			if strings.Contains(out, "S3cr3tPw") {
				t.Errorf("%s: the secret is printed: %s", base, out)
			}
		}
		if !strings.Contains(err.Error(), "base URL") {
			t.Errorf("%s: error %q does not name the base URL", base, err)
		}
	}
}
