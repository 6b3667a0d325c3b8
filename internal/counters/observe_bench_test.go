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
