package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/audit/audittest"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/fetcher"
)

// replayBenchN is how many stored decisions each replay benchmark op reads.
const replayBenchN = 50000

var (
	benchDir     string
	benchLogOnce sync.Once
	benchLogErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchLog is an SQLite log of replayBenchN sample decisions, built once per
// test binary run.
func benchLog(b *testing.B) string {
	benchLogOnce.Do(func() {
		if benchDir, benchLogErr = os.MkdirTemp("", "verdict-replay-bench-"); benchLogErr != nil {
			return
		}
		path := filepath.Join(benchDir, "log.db")
		s, err := audit.Open(context.Background(), path, audit.Options{})
		if err != nil {
			benchLogErr = err
			return
		}
		defer s.Close()
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < replayBenchN; i += 64 {
					if err := s.Append(context.Background(), audittest.SampleTrace(i)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		benchLogErr = <-errs
	})
	if benchLogErr != nil {
		b.Fatalf("build benchmark log: %v", benchLogErr)
	}
	return filepath.Join(benchDir, "log.db")
}

// benchmarkReplay replays the benchmark log with decide, reporting decisions/s.
func benchmarkReplay(b *testing.B, decide audit.Decider) {
	s := audittest.MustOpen(b, benchLog(b), audit.Options{ReadOnly: true})
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

// BenchmarkReplay measures replay throughput from SQLite: "read-decode" with
// a decider that does nothing (the cost of reading, decoding the stored
// report and context, and tallying), beside the shipped policy.
//
//	go test ./audit -run '^$' -bench Replay -benchtime 3x
func BenchmarkReplay(b *testing.B) {
	b.Run(fmt.Sprintf("read-decode/n=%d", replayBenchN), func(b *testing.B) {
		benchmarkReplay(b, func([]string, *fetcher.Report, map[string]any) engine.Decision {
			return engine.Decision{Outcome: engine.Allow}
		})
	})
}
