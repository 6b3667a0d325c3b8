package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
)

// firstPurchaseReview is a small candidate: review first purchases, allow the rest.
func firstPurchaseReview(in audit.ReplayInput) engine.Decision {
	d := engine.Decision{Policy: engine.PolicyRef{Name: "checkout", Version: "candidate"}, Outcome: engine.Allow,
		Reason: engine.ReasonDefault, FiredRules: []engine.FiredRule{}}
	if in.Context["first_purchase"] == true {
		d.Outcome, d.Reason = engine.Review, engine.ReasonRules
		d.FiredRules = append(d.FiredRules, engine.FiredRule{ID: "first-purchase", Action: engine.Review})
	}
	return d
}

// seedReplayLog stores 30 samples (stored outcome i%3: allow, review, deny;
// first purchase when i%3 == 0), two traces without a report, one whose
// stored report no longer decodes, and one in monitor-only mode.
func seedReplayLog(t *testing.T) audit.Store {
	s := audittest.MustOpen(t, filepath.Join(t.TempDir(), "log.db"), audit.Options{})
	for i := range 30 {
		audittest.MustAppend(t, s, audittest.SampleTraceWithID(i, fmt.Sprintf("0193a4f2-0000-7000-8000-%012d", i)))
	}
	for i, status := range []string{"unavailable", "not_found"} {
		tr := audittest.SampleTraceWithID(100+i, fmt.Sprintf("0193a4f2-0000-7000-8000-%012d", 100+i))
		tr.Report, tr.ReportStatus, tr.Outcome = nil, status, engine.Review
		audittest.MustAppend(t, s, tr)
	}
	bad := audittest.SampleTrace(200)
	bad.ID = "0193a4f2-0000-7000-8000-0000000000ba"
	bad.Report = []byte(`{"session_id": "x", "risk_score": 101}`)
	audittest.MustAppend(t, s, bad)
	mon := audittest.SampleTrace(300) // i%3 == 0: first purchase; stored deny, answered allow
	mon.ID = "0193a4f2-0000-7000-8000-00000000000f"
	mon.MonitorOnly, mon.Outcome, mon.WouldBeOutcome = true, engine.Allow, engine.Deny
	audittest.MustAppend(t, s, mon)
	return s
}

func TestReplay(t *testing.T) {
	s := seedReplayLog(t)
	for _, workers := range []int{1, 3} {
		t.Run("workers="+string(rune('0'+workers)), func(t *testing.T) {
			var lastDone, lastTotal int64
			rep, err := audit.Replay(context.Background(), s, firstPurchaseReview, audit.ReplayOptions{
				Workers: workers, SamplesPerTransition: 2,
				Progress: func(done, total int64) { lastDone, lastTotal = done, total },
			})
			if err != nil {
				t.Fatalf("replay: %v", err)
			}
			if rep.Read != 34 || rep.Replayed != 31 || rep.Unreadable != 1 || rep.UnreadableIDs[0] != "0193a4f2-0000-7000-8000-0000000000ba" {
				t.Fatalf("read %d, replayed %d, unreadable %d %v; want 34, 31, 1", rep.Read, rep.Replayed, rep.Unreadable, rep.UnreadableIDs)
			}
			if rep.NotReplayed["unavailable"] != 1 || rep.NotReplayed["not_found"] != 1 {
				t.Fatalf("not replayed %v", rep.NotReplayed)
			}
			if lastDone != 34 || lastTotal != 34 {
				t.Fatalf("last progress %d/%d, want 34/34", lastDone, lastTotal)
			}
			want := map[[2]engine.Outcome]int64{
				{engine.Allow, engine.Review}: 10, {engine.Review, engine.Allow}: 10,
				{engine.Deny, engine.Allow}: 10, {engine.Deny, engine.Review}: 1, // the monitor-only trace
			}
			for _, c := range rep.Transitions {
				if c.Count != want[[2]engine.Outcome{c.From, c.To}] {
					t.Errorf("%s→%s: %d, want %d", c.From, c.To, c.Count, want[[2]engine.Outcome{c.From, c.To}])
				}
			}
			if rep.Changed != 31 {
				t.Fatalf("changed %d, want 31", rep.Changed)
			}
			if len(rep.Samples) != 7 || rep.Samples[0].ID == "" {
				t.Fatalf("%d samples, want 2+2+2+1", len(rep.Samples))
			}
		})
	}
}

func TestReplayTextGolden(t *testing.T) {
	s := seedReplayLog(t)
	rep, err := audit.Replay(context.Background(), s, firstPurchaseReview, audit.ReplayOptions{Workers: 2, SamplesPerTransition: 1})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	rep.Elapsed, rep.PerSecond, rep.ElapsedSeconds = 0, 0, 0 // timings vary; the rest must not
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "replay.golden.txt")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (refresh with go test ./audit -run Golden -update): %v", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("replay text differs from %s (refresh with -update if intended):\n%s", golden, buf.Bytes())
	}
}

// TestReplayWithoutRowSource replays through Store.Export alone (a store
// that is not a RowSource) and must find what the RowSource path finds.
func TestReplayWithoutRowSource(t *testing.T) {
	s := seedReplayLog(t)
	plain := struct{ audit.Store }{s} // hides ReplayRows and Count
	if _, ok := any(plain).(audit.RowSource); ok {
		t.Fatal("wrapper still is a RowSource")
	}
	opts := audit.ReplayOptions{Workers: 2, SamplesPerTransition: 3}
	want, err := audit.Replay(context.Background(), s, firstPurchaseReview, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := audit.Replay(context.Background(), plain, firstPurchaseReview, opts)
	if err != nil {
		t.Fatal(err)
	}
	got.Elapsed, got.PerSecond, got.ElapsedSeconds = 0, 0, 0
	want.Elapsed, want.PerSecond, want.ElapsedSeconds = 0, 0, 0
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Fatalf("through Export:\n%s\nthrough ReplayRows:\n%s", gj, wj)
	}
}
