package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/internal/syncbuf"
	"github.com/verdicthq/verdict/internal/testwait"
	"go.uber.org/goleak"
)

// TestMain lets a test run this binary as `verdict` itself: with
// VERDICT_TEST_MAIN set, the process runs dispatch on its words instead of
// the tests; otherwise the tests run and must leave no goroutine behind.
func TestMain(m *testing.M) {
	if args := os.Getenv("VERDICT_TEST_MAIN"); args != "" {
		os.Exit(dispatch(strings.Fields(args), os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m) // every test stops what it started
}

const testKey = "test-secret-0123456789"

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	db := filepath.Join(t.TempDir(), "verdict.db")
	return testConfigFrom(t, map[string]string{
		"VERDICT_DATABASE_URL":     db,
		"VERDICT_LISTEN_ADDR":      "127.0.0.1:0",
		"VERDICT_RULES_DIR":        "../../api/testdata/rules",
		"VERDICT_DEMO_REPORTS_DIR": "../../api/testdata/reports",
		"VERDICT_API_KEYS":         "t:decide+admin:" + testKey,
		"VERDICT_RELOAD_WATCH":     "false",
	})
}

// testConfigFrom loads the configuration from env alone.
func testConfigFrom(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.Load("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestShutdownFinishesRequestsInFlight starts a request whose body is still
// being sent, begins the shutdown, then finishes the body: the request must
// get its verdict, and run must return nil.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	cfg := testConfig(t)
	logs := &syncbuf.Buffer{}
	a, err := newApp(cfg, newLogger(cfg.Log, logs, false))
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	runErr := make(chan error, 1)
	go func() { runErr <- a.run(ctx, nil, func(addr string) { addrc <- addr }) }()
	addr := <-addrc

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/decisions", pr)
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answered <- answer{status: resp.StatusCode, body: string(b)}
	}()
	if _, err := pw.Write([]byte(`{"session_id":`)); err != nil { // the server is now reading the body
		t.Fatal(err)
	}
	testwait.Until(t, "the request to be in flight", func() bool { return inFlight(t, a) >= 1 })
	cancel() // SIGTERM
	testwait.Until(t, "the listener to close", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case err := <-runErr:
		t.Fatalf("run returned %v with a request in flight", err)
	default:
	}
	if _, err := pw.Write([]byte(`"t-deny"}`)); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	got := <-answered
	if got.err != nil || got.status != 200 || !strings.Contains(got.body, `"outcome":"deny"`) {
		t.Fatalf("in-flight request: %+v", got)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
	var d struct {
		DecisionID string `json:"decision_id"`
	}
	if err := json.Unmarshal([]byte(got.body), &d); err != nil {
		t.Fatal(err)
	}
	store, err := audit.Open(context.Background(), cfg.Database.URL.Reveal(), audit.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if tr, err := store.Get(context.Background(), d.DecisionID); err != nil || tr.Outcome != "deny" {
		t.Fatalf("the in-flight decision %s is not in the log after the drain: %v %+v", d.DecisionID, err, tr)
	}
}

// TestServeSignals runs `verdict serve` as a process: SIGHUP reloads the
// policies, SIGTERM exits 0.
func TestServeSignals(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(),
		"VERDICT_TEST_MAIN=serve",
		"VERDICT_LISTEN_ADDR=127.0.0.1:0",
		"VERDICT_RULES_DIR=../../api/testdata/rules",
		"VERDICT_DEMO_REPORTS_DIR=../../api/testdata/reports",
		"VERDICT_LOG_FORMAT=json",
		"VERDICT_RELOAD_WATCH=false",
		"VERDICT_DATABASE_URL="+filepath.Join(t.TempDir(), "verdict.db"),
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan map[string]any, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
		close(lines)
	}()
	waitLog := func(what string, match func(map[string]any) bool) map[string]any {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case m, ok := <-lines:
				if !ok {
					t.Fatalf("process ended before %s", what)
				}
				if match(m) {
					return m
				}
			case <-timeout:
				_ = cmd.Process.Kill()
				t.Fatalf("gave up waiting for %s", what)
			}
		}
	}
	msgIs := func(s string) func(map[string]any) bool {
		return func(m map[string]any) bool { return strings.Contains(fmt.Sprint(m["message"]), s) }
	}
	waitLog("the demo warning", msgIs("DEMO MODE"))
	listening := waitLog("the listen line", msgIs("listening"))
	waitLog("the demo key warning", msgIs("DEMO KEY"))
	addr := listening["addr"].(string)

	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("a SIGHUP reload", func(m map[string]any) bool { return m["trigger"] == "sighup" && m["message"] == "policy set loaded" })

	resp, err := http.Post("http://"+addr+"/v1/decisions", "application/json", strings.NewReader(`{"session_id":"t-deny"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("no key: got %d", resp.StatusCode)
	}
	// The demo serves the console too, and says where.
	if got := listening["console"]; got != "http://"+addr+"/console/" {
		t.Errorf("listen line console %v, want http://%s/console/", got, addr)
	}
	resp, err = http.Get("http://" + addr + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `<h1>Sign in</h1>`) {
		t.Errorf("GET /console/login in the demo: %d", resp.StatusCode)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLog("the stop line", msgIs("verdict serve stopped"))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v (want 0)", err)
	}
}

func TestProbeAddr(t *testing.T) {
	cases := map[string]string{"": "127.0.0.1:8080", "0.0.0.0:9000": "127.0.0.1:9000", ":7000": "127.0.0.1:7000", "[::]:80": "127.0.0.1:80", "10.1.2.3:8080": "10.1.2.3:8080"}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			if got := probeAddr(in); got != want {
				t.Fatalf("probeAddr(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

// TestServeRunsRetention: with database.retention_days set, serve prunes the
// traces older than that in the background, and keeps the newer ones.
func TestServeRunsRetention(t *testing.T) {
	cfg := testConfig(t)
	cfg.Database.RetentionDays = 30
	ctx := context.Background()
	store, err := audit.Open(ctx, cfg.Database.URL.Reveal(), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	old, recent := audittest.SampleTrace(1), audittest.SampleTrace(2)
	old.DecidedAt = time.Now().Add(-31 * 24 * time.Hour)
	recent.DecidedAt = time.Now().Add(-29 * 24 * time.Hour)
	audittest.MustAppend(t, store, old, recent)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	logs := &syncbuf.Buffer{}
	a, err := newApp(cfg, newLogger(cfg.Log, logs, false))
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- a.run(runCtx, nil, nil) }()
	testwait.Until(t, "the first retention run", func() bool { return strings.Contains(logs.String(), "decision log retention") })
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("run: %v", err)
	}

	ro, err := audit.Open(ctx, cfg.Database.URL.Reveal(), audit.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Get(ctx, old.ID); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("a 31-day-old trace survived 30-day retention: %v; logs:\n%s", err, logs.String())
	}
	if _, err := ro.Get(ctx, recent.ID); err != nil {
		t.Fatalf("a 29-day-old trace was pruned: %v", err)
	}
}

// inFlight reads the server's in-flight requests gauge.
func inFlight(t *testing.T, a *app) float64 {
	t.Helper()
	mfs, err := a.server.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "verdict_http_requests_in_flight" && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no verdict_http_requests_in_flight gauge")
	return 0
}
