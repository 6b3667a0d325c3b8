package audittest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// PerfLog describes the log BenchPerformance seeds: decisions over 3
// policies of 12 rules (0 to 3 firing each), 200,000 sessions and 100,000
// users; labels by decision (60%), session (25%) and user (15%), 30% fraud.
type PerfLog struct {
	Decisions, Labels int
}

// perfTrace is decision i of a PerfLog: a trace as the API writes it, but
// without the report and the rules' inputs, to keep seeding a million of
// them within minutes (the rule performance scan reads neither).
func perfTrace(i int, base time.Time) *audit.Trace {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	pol := []string{"checkout", "payout", "signup"}[i%3]
	tr := &audit.Trace{
		ID:           fmt.Sprintf("perf-%08d", i),
		DecidedAt:    base.Add(time.Duration(i) * time.Second),
		SessionID:    fmt.Sprintf("s-%d", i%200_000),
		UserID:       fmt.Sprintf("u-%d", i%100_000),
		Tags:         []string{"checkout-flow"},
		ReportStatus: "ok",
		Policy:       engine.PolicyRef{Name: pol, Version: sampleVersions[i%2]},
		Outcome:      engine.Allow,
		Reason:       engine.ReasonDefault,
		FiredRules:   []engine.FiredRule{},
	}
	for k := range r.IntN(4) {
		out := []engine.Outcome{engine.Review, engine.Deny}[r.IntN(2)]
		tr.FiredRules = append(tr.FiredRules, engine.FiredRule{ID: fmt.Sprintf("%s-rule-%d", pol, (k*5+r.IntN(12))%12), Action: out})
		if out.Severity() > tr.Outcome.Severity() {
			tr.Outcome = out
		}
		tr.Reason = engine.ReasonRules
	}
	if tr.Outcome == engine.Review { // no review queue rows: they are not what is measured
		tr.MonitorOnly, tr.WouldBeOutcome, tr.Outcome = true, engine.Review, engine.Allow
	}
	return tr
}

// SeedPerfLog fills the log at url as p says, with parallel appends (the
// production write path) and label batches of audit.MaxLabels.
func SeedPerfLog(tb testing.TB, url string, p PerfLog) {
	tb.Helper()
	s, err := audit.Open(context.Background(), url, audit.Options{MaxBatch: 1024})
	if err != nil {
		tb.Fatalf("open %s: %v", url, err)
	}
	defer s.Close()
	base := time.Now().Add(-time.Duration(p.Decisions+10) * time.Second).UTC()
	var wg sync.WaitGroup
	next := make(chan int, 4096)
	var once sync.Once
	var firstErr error
	for range 1024 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := s.Append(context.Background(), perfTrace(i, base)); err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	for i := range p.Decisions {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		tb.Fatalf("seed: %v", firstErr)
	}
	lb := s.(audit.Labels)
	r := rand.New(rand.NewPCG(1, 2))
	batch := make([]audit.Label, 0, audit.MaxLabels)
	flush := func() {
		res, err := lb.AddLabels(context.Background(), batch)
		if err != nil {
			tb.Fatalf("seed labels: %v", err)
		}
		for _, x := range res {
			if x.Err != nil {
				tb.Fatalf("seed label: %v", x.Err)
			}
		}
		batch = batch[:0]
	}
	for k := range p.Labels {
		i := r.IntN(p.Decisions)
		l := audit.Label{Label: audit.LabelLegitimate, Reason: "chargeback", OccurredAt: base.Add(time.Duration(i+r.IntN(86400)) * time.Second)}
		if r.IntN(10) < 3 {
			l.Label = audit.LabelFraud
		}
		switch x := k % 20; {
		case x < 12:
			l.Target, l.Value = audit.TargetDecision, fmt.Sprintf("perf-%08d", i)
		case x < 17:
			l.Target, l.Value = audit.TargetSession, fmt.Sprintf("s-%d", i%200_000)
		default:
			l.Target, l.Value = audit.TargetUser, fmt.Sprintf("u-%d", i%100_000)
		}
		batch = append(batch, l)
		if len(batch) == cap(batch) {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
}

// BenchPerformance measures GET /v1/rules/performance's one pass
// (RulePerformance) over a seeded log, and beside it, on the same log, the
// baseline a store without it offers: Export every trace, decode it, and
// tally the same way.
func BenchPerformance(b *testing.B, url string) {
	s, err := audit.Open(context.Background(), url, audit.Options{ReadOnly: true})
	if err != nil {
		b.Fatalf("open %s: %v", url, err)
	}
	defer s.Close()
	ctx := context.Background()
	b.Run("one-pass", func(b *testing.B) {
		b.ReportAllocs()
		var p *audit.Performance
		cpu := CPUTime()
		for b.Loop() {
			if p, err = s.(audit.PerformanceReader).RulePerformance(ctx, audit.PerfFilter{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric((CPUTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(p.Decisions), "decisions")
		b.ReportMetric(float64(p.Labels), "labels")
	})
	b.Run("baseline-export-and-decode", func(b *testing.B) {
		b.ReportAllocs()
		cpu := CPUTime()
		defer func() { b.ReportMetric((CPUTime()-cpu).Seconds()/float64(b.N), "cpu-s/op") }()
		for b.Loop() {
			idx := audit.NewLabelIndex()
			if err := s.(audit.Labels).EachLabel(ctx, func(l *audit.Label) error { idx.Add(l); return nil }); err != nil {
				b.Fatal(err)
			}
			idx.Seal()
			tally := audit.NewPerfTally()
			if err := s.Export(ctx, time.Time{}, time.Time{}, func(t *audit.Trace) error {
				tally.Add(t.Policy.Name, t.PolicyOutcome(), t.FiredRuleIDs(), idx.Label(t.ID, t.SessionID, t.UserID, t.DecidedAt.UnixMicro()))
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			tally.Result()
		}
	})
}
