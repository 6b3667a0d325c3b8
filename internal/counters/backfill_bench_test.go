package counters_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/counters"
)

const benchTraces = 200_000

// benchLog is a SQLite log of benchTraces decisions of 1,000 users over the
// last 30 minutes, made once per run (not measured).
func benchLog(b *testing.B) string {
	return audittest.OnceLog(b, "counters", func(s audit.Store) error {
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
		return <-errs
	})
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
	// Paired rounds: each round runs the backfill, then the baselines, so
	// the machine's load falls on all alike.
	b.Run("backfill-5-counters", func(b *testing.B) {
		rate(b, install(b, set, rs))
	})
	// The same five and a sixth whose where reads the report's risk_score,
	// which SQLite keeps in a column beside the report: still no report is
	// read (ReportColumnRows).
	withScore := loadPolicy(b, "  user_risky_1h: { key: user_id, window: 1h, where: risk_score >= 50 }\n", "counters.user_risky_1h > 2")
	b.Run("backfill-6-counters-one-reading-risk_score", func(b *testing.B) {
		rate(b, install(b, withScore, rs))
	})
	// The same five and a sixth that reads a device check: every report is
	// then read and decoded whole (the slowest way, beside the others).
	withCheck := loadPolicy(b, "  user_vpn_1h: { key: user_id, window: 1h, where: 'device_checks.vpn == \"Detected\"' }\n", "counters.user_vpn_1h > 2")
	b.Run("backfill-6-counters-one-reading-a-check", func(b *testing.B) {
		rate(b, install(b, withCheck, rs))
	})
	b.Run("baseline-before", func(b *testing.B) {
		// What backfill did before: every replay column, every report
		// decoded whole, one goroutine observing.
		rate(b, func() int64 {
			c := counters.New(counters.Config{})
			if err := c.Install(context.Background(), set, nil, time.Now(), nil); err != nil {
				b.Fatal(err)
			}
			n := int64(0)
			if err := rs.ReplayRows(context.Background(), time.Time{}, time.Time{}, func(r *audit.ReplayRow) error {
				n++
				if p, ok := counters.PastOf(r); ok {
					c.Observe(r.ID, p)
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			return n
		})
	})
	b.Run("baseline-read-rows", func(b *testing.B) {
		rate(b, func() int64 {
			n := int64(0)
			if err := rs.CounterRows(context.Background(), time.Time{}, time.Time{}, func(*audit.ReplayRow) error { n++; return nil }); err != nil {
				b.Fatal(err)
			}
			return n
		})
	})
}

// rate runs fn, which handles some traces and says how many, once per
// iteration, and reports traces/s (wall clock) and cpu-µs/trace (the
// process's user and system time: what load on a shared machine does not
// inflate as much).
func rate(b *testing.B, fn func() int64) {
	var n int64
	start, cpu0 := time.Now(), audittest.CPUTime()
	for b.Loop() {
		if got := fn(); got != benchTraces {
			b.Fatalf("handled %d traces, want %d", got, benchTraces)
		}
		n += benchTraces
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "traces/s")
	b.ReportMetric(float64((audittest.CPUTime()-cpu0).Microseconds())/float64(n), "cpu-µs/trace")
}

// install returns a run of Install of set's counters from rs into empty
// counters, saying how many traces it read.
func install(b *testing.B, set *engine.Set, rs audit.RowSource) func() int64 {
	return func() int64 {
		c := counters.New(counters.Config{})
		var done int64
		if err := c.Install(context.Background(), set, rs, time.Now(), func(n, _ int64, _ []string) { done = n }); err != nil {
			b.Fatal(err)
		}
		return done
	}
}

// loadPolicy is the test policy with one more counter and a rule reading it.
func loadPolicy(b *testing.B, counter, when string) *engine.Set {
	src := strings.Replace(policy, "counters:\n", "counters:\n"+counter, 1)
	src = strings.Replace(src, "rules:\n", "rules:\n  - { id: extra, when: '"+when+"', action: review }\n", 1)
	set, err := engine.LoadSources("rules", []engine.Source{{File: "rules/velocity.yaml", Data: []byte(src)}})
	if err != nil {
		b.Fatal(err)
	}
	return set
}
