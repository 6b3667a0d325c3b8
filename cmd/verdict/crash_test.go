package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/verdicthq/verdict/internal/testwait"
)

// served is a `verdict serve` process started by a test.
type served struct {
	cmd  *exec.Cmd
	addr string
	logs *bytes.Buffer // what it logged, for failure messages
	mu   *sync.Mutex
}

// buildVerdict builds the verdict binary from this package into a
// temporary folder and returns its path.
func buildVerdict(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "verdict")
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServe runs `verdict serve` (the binary bin) over the test rules and
// the demo simulator, with its decision log in db, and waits until it
// listens.
func startServe(t *testing.T, bin, db string) *served {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"VERDICT_LISTEN_ADDR=127.0.0.1:0",
		"VERDICT_RULES_DIR=../../api/testdata/rules",
		"VERDICT_DEMO_REPORTS_DIR=../../api/testdata/reports",
		"VERDICT_API_KEYS=t:decide+audit:"+testKey,
		"VERDICT_LOG_FORMAT=json",
		"VERDICT_RELOAD_WATCH=false",
		"VERDICT_DATABASE_URL="+db,
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, logs: &bytes.Buffer{}, mu: &sync.Mutex{}}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.Write(sc.Bytes())
			s.logs.WriteByte('\n')
			s.mu.Unlock()
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil && m["message"] == "verdict serve listening" {
				addrc <- m["addr"].(string)
			}
		}
	}()
	select {
	case s.addr = <-addrc:
	case <-time.After(20 * time.Second):
	}
	return s
}

// TestCrashLosesNoAnsweredDecision is issue 5's crash test: the verdict
// binary is built, decisions are driven concurrently into `verdict serve`, the process is killed with
// SIGKILL mid-load, restarted on the same SQLite file, and every decision
// that was answered 200 must be in the log with its whole trace.
func TestCrashLosesNoAnsweredDecision(t *testing.T) {
	bin := buildVerdict(t)
	db := filepath.Join(t.TempDir(), "verdict.db")
	srv := startServe(t, bin, db)
	if srv.addr == "" {
		t.Fatal("verdict serve did not report its address")
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	base := "http://" + srv.addr

	type answer struct{ outcome, version string }
	var (
		mu       sync.Mutex
		answered = map[string]answer{}
		wg       sync.WaitGroup
	)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sessions := []string{"t-allow", "t-deny", "t-review", "t-mobile"}
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil; i += 16 {
				body := fmt.Sprintf(`{"session_id":%q,"context":{"amount":%d}}`, sessions[i%len(sessions)], i)
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/decisions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+testKey)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					continue // the process is gone, or the test is over
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					continue
				}
				var d struct {
					DecisionID string `json:"decision_id"`
					Outcome    string `json:"outcome"`
					Policy     struct{ Version string }
				}
				if json.Unmarshal(b, &d) != nil || d.DecisionID == "" {
					t.Errorf("a 200 answer that is not a decision: %s", b)
					continue
				}
				mu.Lock()
				answered[d.DecisionID] = answer{d.Outcome, d.Policy.Version}
				mu.Unlock()
			}
		}()
	}
	// Kill once a good number of decisions were answered (bounded either way).
	testwait.For(testwait.Timeout, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(answered) >= 2000
	})
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Wait()
	stop()
	wg.Wait()
	if len(answered) < 100 {
		t.Fatalf("only %d decisions answered before the kill; logs:\n%s", len(answered), srv.logs)
	}

	again := startServe(t, bin, db)
	if again.addr == "" {
		t.Fatalf("verdict serve did not restart on the crashed database; logs:\n%s", again.logs)
	}
	missing := 0
	for id, want := range answered {
		req, _ := http.NewRequest("GET", "http://"+again.addr+"/v1/decisions/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			missing++
			t.Errorf("decision %s was answered 200 but is not in the log: %d %s", id, resp.StatusCode, b)
			continue
		}
		var tr struct {
			Outcome      string          `json:"outcome"`
			ReportStatus string          `json:"report_status"`
			Report       json.RawMessage `json:"report"`
			Policy       struct{ Version string }
			Answer       json.RawMessage `json:"answer"`
			Context      json.RawMessage `json:"context"`
		}
		if err := json.Unmarshal(b, &tr); err != nil {
			t.Fatal(err)
		}
		if tr.Outcome != want.outcome || tr.Policy.Version != want.version || tr.ReportStatus != "ok" ||
			len(tr.Report) == 0 || len(tr.Answer) == 0 || len(tr.Context) == 0 {
			t.Errorf("decision %s: trace incomplete or different: %s", id, b)
		}
	}
	t.Logf("%d decisions answered before SIGKILL, %d missing after restart", len(answered), missing)

	if err := again.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := again.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v (want 0); logs:\n%s", err, again.logs)
	}
}
