package decision_test

import (
	"context"
	"testing"

	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
)

// BenchmarkPipeline measures what the pipeline adds around the engine: the
// sequence over an inline report (a new decision id, the clock read three
// times, select, the context check, live and shadow evaluation) beside the
// engine alone (Select and Evaluate of the same two policies).
//
//	go test ./decision -run '^$' -bench Pipeline -benchmem
func BenchmarkPipeline(b *testing.B) {
	set, err := engine.LoadDir("testdata/rules")
	if err != nil {
		b.Fatal(err)
	}
	rep := mustReport(b, "t-review")
	ctx := map[string]any{"amount": 20.0}
	b.Run("pipeline", func(b *testing.B) {
		p := &decision.Pipeline{Policies: decision.Static(set)}
		req := decision.Request{SessionID: rep.SessionID, Report: rep, Context: ctx, Now: at2030}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Decide(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pipeline-id-given", func(b *testing.B) { // as replay calls it: no new UUIDv7 per decision
		p := &decision.Pipeline{Policies: decision.Static(set)}
		req := decision.Request{ID: "d-1", SessionID: rep.SessionID, Report: rep, Context: ctx, Now: at2030}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Decide(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("engine-alone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			live, shadow := set.Select(rep.Tags)
			if err := live.CheckContext(ctx); err != nil {
				b.Fatal(err)
			}
			f := engine.Facts{Report: rep, Context: ctx, Now: at2030}
			_ = live.Evaluate(f)
			if shadow.CheckContext(ctx) == nil {
				_ = shadow.Evaluate(f)
			}
		}
	})
}
