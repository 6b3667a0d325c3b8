package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
)

// replayBenchN is how many stored decisions each replay benchmark op reads.
const replayBenchN = 50000

var (
	benchDir  string
	benchMu   sync.Mutex
	benchLogs = map[string]string{} // name → path of a built log
)

// benchLog is an SQLite log of replayBenchN traces made by gen, built once
// per test binary run and name.
func benchLog(b *testing.B, name string, gen func(i int) *audit.Trace) string {
	benchMu.Lock()
	defer benchMu.Unlock()
	if path, ok := benchLogs[name]; ok {
		return path
	}
	if benchDir == "" {
		dir, err := os.MkdirTemp("", "verdict-replay-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
	}
	path := filepath.Join(benchDir, name+".db")
	s, err := audit.Open(context.Background(), path, audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < replayBenchN; i += 64 {
				if err := s.Append(context.Background(), gen(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatalf("build benchmark log: %v", err)
	}
	benchLogs[name] = path
	return path
}

// benchmarkReplay replays a benchmark log with decide, reporting decisions/s.
func benchmarkReplay(b *testing.B, path string, decide audit.Decider) {
	s := audittest.MustOpen(b, path, audit.Options{ReadOnly: true})
	b.ResetTimer()
	var read int64
	for range b.N {
		rep, err := audit.Replay(context.Background(), s, decide, audit.ReplayOptions{})
		if err != nil {
			b.Fatalf("replay: %v", err)
		}
		if rep.Replayed != replayBenchN {
			b.Fatalf("replayed %d, want %d", rep.Replayed, replayBenchN)
		}
		read += rep.Read
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "decisions/s")
}

// BenchmarkReplay measures replay throughput from SQLite with the shipped
// policy (rules/), over two logs of replayBenchN decisions made by that
// policy: one of the repository's report fixtures (~850 B reports), one of a
// report with the deprecated user_logs (~1.8 KB). "read-decode" replays the
// fixture log with a decider that does nothing, for the cost of reading,
// decoding reports and contexts, and tallying.
//
//	go test ./audit -run '^$' -bench Replay -benchtime 3x
func BenchmarkReplay(b *testing.B) {
	set, err := engine.LoadDir(shippedRules)
	if err != nil {
		b.Fatal(err)
	}
	_, fixtures, err := audittest.Reports(reportsDir)
	if err != nil {
		b.Fatal(err)
	}
	at := func(i int) time.Time { return audittest.Base.Add(time.Duration(i) * time.Millisecond) }
	ctx := func(i int) map[string]any { return map[string]any{"amount": float64(50 + i%900), "currency": "EUR"} }
	fixtureLog := func(b *testing.B) string {
		return benchLog(b, "fixtures", func(i int) *audit.Trace {
			return audittest.Decide(set, fixtures[i%len(fixtures)], ctx(i), at(i))
		})
	}
	userLogsLog := func(b *testing.B) string {
		return benchLog(b, "user-logs", func(i int) *audit.Trace {
			return audittest.Decide(set, audittest.Report, ctx(i), at(i))
		})
	}
	b.Run(fmt.Sprintf("shipped-policy/fixture-reports/n=%d", replayBenchN), func(b *testing.B) {
		benchmarkReplay(b, fixtureLog(b), decision.ReplayDecider(set))
	})
	b.Run(fmt.Sprintf("shipped-policy/user-logs-reports/n=%d", replayBenchN), func(b *testing.B) {
		benchmarkReplay(b, userLogsLog(b), decision.ReplayDecider(set))
	})
	b.Run(fmt.Sprintf("read-decode/fixture-reports/n=%d", replayBenchN), func(b *testing.B) {
		benchmarkReplay(b, fixtureLog(b), func(audit.ReplayInput) engine.Decision {
			return engine.Decision{Outcome: engine.Allow}
		})
	})
}
