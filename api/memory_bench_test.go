package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/internal/lists"
	"github.com/verdicthq/verdict/internal/memory"
)

// BenchmarkDecideMemory is POST /v1/decisions with the decision log on
// (SQLite), in parallel as a server runs, for two policy folders in one
// run: "shipped" is rules/checkout.yaml, the shipped policy; "memory" is
// rules/account.yaml made the default (3 lists, 2 counters, the
// blocked_users list holding 10,000 items), its counters updated by every
// recorded decision. Compare their ns/op and cpu-µs/op (the process's CPU
// time per decision, which a loaded machine inflates less), with -count
// so the two alternate (docs/benchmarks.md).
//
//	go test -run '^$' -bench DecideMemory -benchmem ./api/
func BenchmarkDecideMemory(b *testing.B) {
	const body = `{"session_id":"t-review","context":{"amount":120,"card_fingerprint":"card-1","ip":"198.51.100.7"}}`
	shipped := b.TempDir()
	copyFile(b, filepath.Join("..", "rules", "checkout.yaml"), filepath.Join(shipped, "checkout.yaml"))
	withMemory := b.TempDir()
	acc, err := os.ReadFile(filepath.Join("..", "rules", "account.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	acc = []byte(strings.Replace(string(acc), "match: { tags: [account-checkout] }\n", "", 1))
	if err := os.WriteFile(filepath.Join(withMemory, "account.yaml"), acc, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(withMemory, "lists"), 0o755); err != nil {
		b.Fatal(err)
	}
	copyFile(b, filepath.Join("..", "rules", "lists", "trusted_users.txt"), filepath.Join(withMemory, "lists", "trusted_users.txt"))
	for _, v := range []struct{ name, rules string }{{"shipped", shipped}, {"memory", withMemory}} {
		b.Run(v.name, func(b *testing.B) {
			s, err := audit.Open(context.Background(), filepath.Join(b.TempDir(), "verdict.db"), audit.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			set, err := engine.LoadDir(v.rules)
			if err != nil {
				b.Fatal(err)
			}
			mem := &memory.Memory{Lists: lists.NewMemory(), Counters: counters.New(counters.Config{})}
			ls := s.(audit.ListStore)
			if len(set.Lists()) > 0 {
				items := make([]audit.ListItem, 10000)
				for i := range items {
					items[i] = audit.ListItem{Value: "user-blocked-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26)), KeyID: "bench"}
				}
				if _, err := ls.PutListItems(context.Background(), "blocked_users", items); err != nil {
					b.Fatal(err)
				}
			}
			if err := mem.Lists.Load(context.Background(), ls); err != nil {
				b.Fatal(err)
			}
			if err := mem.Lists.LoadFiles(v.rules, set); err != nil {
				b.Fatal(err)
			}
			if err := mem.Counters.Install(context.Background(), set, s.(audit.RowSource), time.Now(), nil); err != nil {
				b.Fatal(err)
			}
			h := newHarness(b, harnessOpts{rules: v.rules, reports: "testdata/reports", cacheTTL: time.Hour, quiet: true, log: s, memory: mem})
			handler := h.server.Handler()
			if rec := serveOnce(handler, body); rec.Code != 200 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			cpu0 := audittest.CPUTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if rec := serveOnce(handler, body); rec.Code != 200 {
						b.Errorf("status %d", rec.Code)
						return
					}
				}
			})
			b.ReportMetric(float64((audittest.CPUTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		b.Fatal(err)
	}
}
