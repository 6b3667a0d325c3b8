package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/internal/syncbuf"
	"github.com/verdicthq/verdict/internal/testwait"
)

// TestServeReportsPolicyWatch: /readyz and the verdict_policy_watch_active
// metric say whether the rules folder is watched, and a watched change goes
// live; with reload.watch false they say it is off and readiness still holds.
func TestServeReportsPolicyWatch(t *testing.T) {
	for _, watch := range []bool{true, false} {
		name := map[bool]string{true: "watching", false: "watch off"}[watch]
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.RulesDir = t.TempDir()
			for _, f := range []string{"checkout.yaml", "mobile.yaml", "shadow-checkout.yaml"} {
				raw, err := os.ReadFile(filepath.Join("../../api/testdata/rules", f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(cfg.RulesDir, f), raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg.Reload.Watch, cfg.Reload.Debounce = watch, 20*time.Millisecond
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
			defer func() {
				cancel()
				if err := <-runErr; err != nil {
					t.Errorf("run: %v", err)
				}
			}()
			get := func(path string) (int, string) {
				t.Helper()
				resp, err := http.Get("http://" + addr + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			watchLine := func() string {
				code, body := get("/readyz")
				var r struct{ Checks map[string]string }
				if code != 200 || json.Unmarshal([]byte(body), &r) != nil {
					t.Fatalf("/readyz %d %s", code, body)
				}
				return r.Checks["policy_watch"]
			}
			if !watch {
				if got := watchLine(); !strings.HasPrefix(got, "off: reload.watch is false") {
					t.Fatalf("policy_watch %q", got)
				}
				if _, m := get("/metrics"); !strings.Contains(m, "verdict_policy_watch_active 0") {
					t.Fatal("metric does not say the watch is off")
				}
				return
			}
			testwait.Until(t, "policy_watch ok", func() bool { return watchLine() == "ok" })
			if _, m := get("/metrics"); !strings.Contains(m, "verdict_policy_watch_active 1") {
				t.Fatal("metric does not say the folder is watched")
			}
			path := filepath.Join(cfg.RulesDir, "checkout.yaml")
			raw, _ := os.ReadFile(path)
			changed := strings.Replace(string(raw), "description:", "description: changed,", 1)
			if changed == string(raw) {
				t.Fatal("fixture has no description to change")
			}
			if err := os.WriteFile(path+".tmp", []byte(changed), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(path+".tmp", path); err != nil {
				t.Fatal(err)
			}
			testwait.Until(t, "the watch to load the change", func() bool {
				for _, line := range strings.Split(logs.String(), "\n") {
					if strings.Contains(line, `"trigger":"watch"`) && strings.Contains(line, `"message":"policy set loaded"`) {
						return true
					}
				}
				return false
			})
		})
	}
}
