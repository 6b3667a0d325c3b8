package counters_test

import (
	"context"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/report"
)

// BenchmarkObserve is the per-trace cost of a backfill without the
// database: decode the stored report and add a decision to five counters
// (decode alone is the baseline beside it).
func BenchmarkObserve(b *testing.B) {
	set := loadSet(b)
	e := event{user: "u1", card: "c1", amount: 10, outcome: "deny"}
	tr := e.trace(b)
	row := &audit.ReplayRow{ID: "x", DecidedAt: time.Now(), Context: tr.Context, ReportStatus: "ok", Outcome: "deny", FiredRules: []byte(`["big"]`), Report: tr.Report}
	b.Run("decode-report", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := report.Decode(row.Report); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-and-observe-5", func(b *testing.B) {
		c := counters.New(counters.Config{})
		_ = c.Install(context.Background(), set, nil, time.Now(), nil)
		b.ReportAllocs()
		for b.Loop() {
			p, ok := counters.PastOf(row)
			if !ok {
				b.Fatal("row not decoded")
			}
			c.Observe("", p)
		}
	})
}

// BenchmarkObserveHotKey is recording decisions of one key that is at the
// per-key cap (10,000 of its decisions in the window): each recorded
// decision drops the key's oldest event and appends one, under the
// counter's lock. The baseline beside it is a key far from the cap.
func BenchmarkObserveHotKey(b *testing.B) {
	set := loadSet(b)
	e := event{user: "u1", card: "c1", amount: 10, outcome: "deny"}
	_, p := e.past(b)
	for _, tc := range []struct {
		name string
		fill int
	}{{"at-cap", 10_000}, {"baseline-100-events", 100}} {
		b.Run(tc.name, func(b *testing.B) {
			c := counters.New(counters.Config{})
			_ = c.Install(context.Background(), set, nil, time.Now(), nil)
			start := time.Now()
			for i := range tc.fill {
				p.DecidedAt = start.Add(time.Duration(i) * time.Microsecond)
				c.Observe("", p)
			}
			i := tc.fill
			b.ReportAllocs()
			for b.Loop() {
				p.DecidedAt = start.Add(time.Duration(i) * time.Microsecond)
				i++
				c.Observe("", p)
			}
		})
	}
}
