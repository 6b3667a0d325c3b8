package fetcher_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/report"
)

// hostileCase is one file of testdata/hostile/upstream (its README says the
// fields).
type hostileCase struct {
	Note   string `yaml:"note"`
	Config struct {
		MaxAttempts     int           `yaml:"max_attempts"`
		Timeout         time.Duration `yaml:"timeout"`
		BreakerFailures uint32        `yaml:"breaker_failures"`
		BreakerRatio    float64       `yaml:"breaker_ratio"`
		BreakerWindow   time.Duration `yaml:"breaker_window"`
		BreakerCooldown time.Duration `yaml:"breaker_cooldown"`
		CacheTTL        time.Duration `yaml:"cache_ttl"`
		RequestLog      int           `yaml:"request_log"`
	} `yaml:"config"`
	Steps []hostileStep `yaml:"steps"`
}

type hostileStep struct {
	Fault *struct {
		Session   string        `yaml:"session"`
		Status    int           `yaml:"status"`
		Reset     bool          `yaml:"reset"`
		Latency   time.Duration `yaml:"latency"`
		Malformed bool          `yaml:"malformed"`
		Truncated bool          `yaml:"truncated"`
		Times     int           `yaml:"times"`
	} `yaml:"fault"`
	ClearFaults bool          `yaml:"clear_faults"`
	Fetch       string        `yaml:"fetch"`
	Times       int           `yaml:"times"`
	Want        string        `yaml:"want"`
	FailFast    *bool         `yaml:"fail_fast"`
	Advance     time.Duration `yaml:"advance"`
	Breaker     string        `yaml:"breaker"`
	SimKept     *int          `yaml:"sim_kept"`
	SimTotal    *int64        `yaml:"sim_total"`
}

// TestHostileUpstream plays every case of testdata/hostile/upstream against
// the real client and simulator, on a fake clock.
func TestHostileUpstream(t *testing.T) {
	paths, err := filepath.Glob("../testdata/hostile/upstream/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no hostile upstream cases: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var hc hostileCase
			dec := yaml.NewDecoder(strings.NewReader(string(raw)))
			dec.KnownFields(true)
			if err := dec.Decode(&hc); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if hc.Note == "" || len(hc.Steps) == 0 {
				t.Fatalf("%s: a case needs a note and steps", path)
			}
			runHostile(t, hc)
		})
	}
}

func runHostile(t *testing.T, hc hostileCase) {
	srv, err := roundtabletest.Start(roundtabletest.Options{ReportsDir: "../report/testdata/reports", APIKey: testKey,
		RequestLog: hc.Config.RequestLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	clock := newFakeClock()
	cfg := fetcher.Config{
		BaseURL: srv.URL(), APIKey: testKey, Now: clock.Now,
		Timeout: 400 * time.Millisecond, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 2 * time.Millisecond,
		MaxAttempts: hc.Config.MaxAttempts, BreakerFailures: hc.Config.BreakerFailures, BreakerRatio: hc.Config.BreakerRatio,
		BreakerWindow: hc.Config.BreakerWindow, BreakerCooldown: hc.Config.BreakerCooldown, CacheTTL: -1,
	}
	if hc.Config.Timeout != 0 {
		cfg.Timeout = hc.Config.Timeout
	}
	if hc.Config.CacheTTL != 0 {
		cfg.CacheTTL = hc.Config.CacheTTL
	}
	client, err := fetcher.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)

	for n, st := range hc.Steps {
		where := fmt.Sprintf("step %d", n+1)
		switch {
		case st.Fault != nil:
			f := st.Fault
			srv.SetFault(f.Session, roundtabletest.Fault{Status: f.Status, Reset: f.Reset, Latency: f.Latency,
				Malformed: f.Malformed, Truncated: f.Truncated, Times: f.Times})
		case st.ClearFaults:
			srv.ClearFaults()
		case st.Fetch != "":
			times := max(st.Times, 1)
			for i := range times {
				id := strings.ReplaceAll(st.Fetch, "{i}", strconv.Itoa(i))
				before := srv.RequestTotal()
				_, err := client.Fetch(t.Context(), id)
				if got := report.Status(err); st.Want != "" && got != st.Want {
					t.Fatalf("%s: fetch %d of %s: report status %s (%v), want %s", where, i+1, id, got, err, st.Want)
				}
				if st.FailFast != nil {
					asked := srv.RequestTotal() > before
					if *st.FailFast == asked {
						t.Fatalf("%s: fetch %d of %s: upstream asked %v, want fail_fast %v (%v)", where, i+1, id, asked, *st.FailFast, err)
					}
				}
			}
		case st.Advance != 0:
			clock.Advance(st.Advance)
		case st.Breaker != "":
			if got := client.BreakerState(); got != st.Breaker {
				t.Fatalf("%s: breaker %s, want %s", where, got, st.Breaker)
			}
		case st.SimKept != nil:
			if got := len(srv.Requests()); got != *st.SimKept {
				t.Fatalf("%s: simulator keeps %d requests, want %d", where, got, *st.SimKept)
			}
		case st.SimTotal != nil:
			if got := srv.RequestTotal(); got != *st.SimTotal {
				t.Fatalf("%s: simulator counted %d requests, want %d", where, got, *st.SimTotal)
			}
		default:
			t.Fatalf("%s: an empty step", where)
		}
	}
}
