package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdicthq/verdict/internal/testwait"
)

// Three versions of the default policy: A reviews a medium score, B denies
// it, and broken does not compile (an unknown name).
const policyTemplate = `name: checkout
default: allow
on_error: review
context:
  amount: number
rules:
  - id: medium-risk-score
    when: %s >= 50
    action: %s
`

var (
	policyA      = fmt.Sprintf(policyTemplate, "risk_score", "review")
	policyB      = fmt.Sprintf(policyTemplate, "risk_score", "deny")
	policyBroken = fmt.Sprintf(policyTemplate, "riskscore", "deny")
)

func sha(s string) string {
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:])
}

// loadChecker drives decisions for t-review from several goroutines and
// checks each answer: 200, a known good version, and the outcome that
// version gives (so no request ever mixed two sets).
type loadChecker struct {
	good     map[string]string // version -> outcome
	ok, bad  atomic.Int64
	mu       sync.Mutex
	failures []string
	seen     sync.Map // version -> true
}

func (lc *loadChecker) run(ctx context.Context, h *harness, workers int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				res, _ := h.send(req{method: "POST", path: "/v1/decisions", key: keyCheckout, ctype: "application/json", body: `{"session_id":"t-review"}`})
				var d decision
				msg := ""
				if res.status != 200 {
					msg = fmt.Sprintf("status %d: %s", res.status, res.body)
				} else if err := jsonUnmarshal(res.body, &d); err != nil {
					msg = err.Error()
				} else if want, ok := lc.good[d.Policy.Version]; !ok {
					msg = "unknown policy version " + d.Policy.Version
				} else if d.Outcome != want {
					msg = fmt.Sprintf("version %s... answered %s, want %s", d.Policy.Version[:8], d.Outcome, want)
				}
				if msg != "" {
					lc.bad.Add(1)
					lc.mu.Lock()
					lc.failures = append(lc.failures, msg)
					lc.mu.Unlock()
					continue
				}
				lc.ok.Add(1)
				lc.seen.Store(d.Policy.Version, true)
			}
		}()
	}
	return &wg
}

func writePolicy(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "checkout.yaml"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func currentVersion(t *testing.T, h *harness) string {
	t.Helper()
	m := h.do(req{method: "GET", path: "/v1/policies", key: keyOps}).json(t)
	for _, p := range m["policies"].([]any) {
		if pm := p.(map[string]any); pm["name"] == "checkout" {
			return pm["version"].(string)
		}
	}
	t.Fatal("no checkout policy listed")
	return ""
}

// TestReloadUnderLoad swaps policy sets through the API and through file
// watching while decisions run concurrently: no request fails, every answer
// comes from one good set, and a broken set never goes live.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	writePolicy(t, dir, policyA)
	h := newHarness(t, harnessOpts{rules: dir, reports: "testdata/reports", cacheTTL: time.Minute})
	lc := &loadChecker{good: map[string]string{sha(policyA): "review", sha(policyB): "deny"}}
	ctx, stop := context.WithCancel(context.Background())
	wg := lc.run(ctx, h, 4)

	t.Run("api reloads", func(t *testing.T) {
		for i := 0; i < 6; i++ {
			want := policyA
			if i%2 == 0 {
				want = policyB
			}
			writePolicy(t, dir, policyBroken)
			before := currentVersion(t, h)
			res := h.do(req{method: "POST", path: "/v1/policies/reload", key: keyOps})
			if res.status != 422 || res.errorCode(t) != "invalid_policy" || !strings.Contains(string(res.body), "riskscore") {
				t.Fatalf("broken set: got %d %s", res.status, res.body)
			}
			if got := currentVersion(t, h); got != before {
				t.Fatalf("a rejected reload changed the live version %s -> %s", before, got)
			}
			writePolicy(t, dir, want)
			res = h.do(req{method: "POST", path: "/v1/policies/reload", key: keyOps})
			if res.status != 200 || currentVersion(t, h) != sha(want) {
				t.Fatalf("good set: got %d %s", res.status, res.body)
			}
		}
	})

	t.Run("file watch reloads", func(t *testing.T) {
		wctx, wstop := context.WithCancel(context.Background())
		defer wstop()
		done := make(chan error, 1)
		go func() { done <- h.reloader.Watch(wctx, 20*time.Millisecond) }()
		waitFor(t, "the watcher watches the folder", func() bool { return h.reloader.WatchStatus().Watching })
		for i, content := range []string{policyA, policyB, policyA} {
			if currentVersion(t, h) == sha(content) {
				continue
			}
			rejected := strings.Count(h.logs.String(), "policy reload rejected")
			writePolicy(t, dir, policyBroken)
			waitFor(t, fmt.Sprintf("round %d: the broken file is rejected", i), func() bool {
				return strings.Count(h.logs.String(), "policy reload rejected") > rejected
			})
			writePolicy(t, dir, content)
			waitFor(t, fmt.Sprintf("round %d: the watcher swaps in %s...", i, sha(content)[:8]), func() bool {
				return currentVersion(t, h) == sha(content)
			})
		}
		wstop()
		if err := <-done; err != nil {
			t.Fatalf("Watch: %v", err)
		}
	})

	stop()
	wg.Wait()
	if lc.bad.Load() != 0 {
		t.Fatalf("%d of %d requests failed during reloads; first: %s", lc.bad.Load(), lc.bad.Load()+lc.ok.Load(), lc.failures[0])
	}
	for _, v := range []string{sha(policyA), sha(policyB)} {
		if _, ok := lc.seen.Load(v); !ok {
			t.Errorf("no request was decided by version %s...", v[:8])
		}
	}
	if lc.ok.Load() == 0 {
		t.Fatal("no request ran")
	}
	metrics := string(h.do(req{method: "GET", path: "/metrics"}).body)
	for _, want := range []string{`verdict_policy_reloads_total{result="failure",trigger="api"} 6`, `verdict_policy_reloads_total{result="success",trigger="api"} 6`, `result="failure",trigger="watch"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	t.Logf("%d decisions during reloads, none failed", lc.ok.Load())
}

// waitFor waits for cond with testwait.Until: a bound on waiting, not a
// timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, cond)
}
