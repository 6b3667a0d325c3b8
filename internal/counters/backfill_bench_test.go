package counters_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/counters"
)

const benchTraces = 200_000

var (
	benchOnce sync.Once
	benchDB   string
	benchErr  error
)

// benchLog is a SQLite log of benchTraces decisions of 1,000 users over the
// last 30 minutes, made once per run (not measured).
func benchLog(b *testing.B) string {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "verdict-counters-bench")
		if err != nil {
			benchErr = err
			return
		}
		benchDB = filepath.Join(dir, "d.db")
		s, err := audit.Open(context.Background(), benchDB, audit.Options{})
		if err != nil {
			benchErr = err
			return
		}
		defer s.Close()
		start := time.Now().Add(-30 * time.Minute)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w := range 64 { // concurrent appends commit in groups
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < benchTraces; i += 64 {
					e := event{user: fmt.Sprintf("u%d", i%1000), card: fmt.Sprintf("c%d", i%3000), amount: float64(i % 500), outcome: "deny", at: 0}
					tr := e.trace(b)
					tr.DecidedAt = start.Add(time.Duration(i) * 9 * time.Millisecond)
					if err := s.Append(context.Background(), tr); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		benchErr = <-errs
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDB
}

// BenchmarkBackfill builds the five counters of the test policy from a log
// of 200,000 decisions, as a reload that defines them does before the set
// goes live: traces/s is the rate. The baseline, in the same run, is
// reading the same rows without building anything (ReplayRows alone).
func BenchmarkBackfill(b *testing.B) {
	db := benchLog(b)
	st := audittest.MustOpen(b, db, audit.Options{ReadOnly: true})
	rs := st.(audit.RowSource)
	set := loadSet(b)
	b.Run("backfill-5-counters", func(b *testing.B) {
		for b.Loop() {
			c := counters.New(counters.Config{})
			start := time.Now()
			var done int64
			if err := c.Install(context.Background(), set, rs, time.Now(), func(n, _ int64, _ []string) { done = n }); err != nil {
				b.Fatal(err)
			}
			if done != benchTraces {
				b.Fatalf("read %d traces", done)
			}
			b.ReportMetric(float64(done)/time.Since(start).Seconds(), "traces/s")
		}
	})
	b.Run("baseline-read-rows", func(b *testing.B) {
		for b.Loop() {
			start := time.Now()
			n := 0
			if err := rs.ReplayRows(context.Background(), time.Time{}, time.Time{}, func(*audit.ReplayRow) error { n++; return nil }); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "traces/s")
		}
	})
}
