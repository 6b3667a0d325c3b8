package audit_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/report"
)

// The shipped policies and report fixtures, from the repository root.
const (
	shippedRules = "../rules"
	candidateDir = "testdata/replay/candidate"
	reportsDir   = "../testdata/reports"
)

func mustLoad(t testing.TB, dir string) *engine.Set {
	t.Helper()
	set, err := engine.LoadDir(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return set
}

// decidedLog stores every report fixture (valid and invalid) decided by the
// shipped policy, each with a small and a big basket, and returns the traces.
func decidedLog(t *testing.T) (audit.Store, []*audit.Trace) {
	set := mustLoad(t, shippedRules)
	s := audittest.MustOpen(t, filepath.Join(t.TempDir(), "log.db"), audit.Options{})
	var traces []*audit.Trace
	for _, dir := range []string{reportsDir, filepath.Join(reportsDir, "invalid")} {
		_, reports, err := audittest.Reports(dir)
		if err != nil || len(reports) == 0 {
			t.Fatalf("report fixtures in %s: %d, %v", dir, len(reports), err)
		}
		for _, raw := range reports {
			for _, amount := range []float64{120, 740.5} {
				tr := audittest.Decide(set, raw, map[string]any{"amount": amount}, audittest.Base.Add(time.Duration(len(traces))*time.Second))
				audittest.MustAppend(t, s, tr)
				traces = append(traces, tr)
			}
		}
	}
	return s, traces
}

// TestReplaySamePolicyChangesNothing replays the log with the policy that
// wrote it: every decision must come out the same, rule for rule.
func TestReplaySamePolicyChangesNothing(t *testing.T) {
	s, traces := decidedLog(t)
	rep, err := audit.Replay(context.Background(), s, decision.ReplayDecider(mustLoad(t, shippedRules)), audit.ReplayOptions{})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	ok := 0
	for _, tr := range traces {
		if tr.ReportStatus == report.StatusOK {
			ok++
		}
	}
	if rep.Read != int64(len(traces)) || rep.Replayed != int64(ok) || rep.NotReplayed["invalid"] != int64(len(traces)-ok) {
		t.Fatalf("read %d, replayed %d, not replayed %v; want %d, %d, invalid %d", rep.Read, rep.Replayed, rep.NotReplayed, len(traces), ok, len(traces)-ok)
	}
	if rep.Changed != 0 || rep.RulesChanged != 0 || rep.Unreadable != 0 || rep.CandidateRuleErrors != 0 {
		t.Fatalf("changed %d, rules changed %d, unreadable %d, rule errors %d; want all 0 (samples %+v)",
			rep.Changed, rep.RulesChanged, rep.Unreadable, rep.CandidateRuleErrors, rep.Samples)
	}
	for _, r := range rep.Rules {
		if r.Stored != r.Candidate {
			t.Errorf("rule %s fired %d times stored, %d replayed", r.ID, r.Stored, r.Candidate)
		}
	}
}

// TestReplayCandidate replays with a candidate that lowers the deny band,
// against the model: each fixture decided directly by the candidate.
func TestReplayCandidate(t *testing.T) {
	s, traces := decidedLog(t)
	candidate := mustLoad(t, candidateDir)
	rep, err := audit.Replay(context.Background(), s, decision.ReplayDecider(candidate), audit.ReplayOptions{SamplesPerTransition: 100})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	want := map[[2]engine.Outcome]int64{}
	changed := map[string]bool{}
	var nChanged int64
	for _, tr := range traces {
		if tr.ReportStatus != report.StatusOK {
			continue
		}
		d := audittest.Decide(candidate, tr.Report, map[string]any{"amount": jsonAmount(t, tr)}, tr.DecidedAt)
		want[[2]engine.Outcome{tr.Outcome, d.Outcome}]++
		if d.Outcome != tr.Outcome {
			nChanged++
			changed[tr.ID] = true
		}
	}
	if nChanged == 0 {
		t.Fatal("the candidate changes no fixture decision: the test checks nothing")
	}
	for _, c := range rep.Transitions {
		if w := want[[2]engine.Outcome{c.From, c.To}]; c.Count != w {
			t.Errorf("%s→%s: %d, want %d", c.From, c.To, c.Count, w)
		}
	}
	if rep.Changed != nChanged || len(rep.Samples) != int(nChanged) {
		t.Fatalf("changed %d with %d samples, want %d", rep.Changed, len(rep.Samples), nChanged)
	}
	for _, sm := range rep.Samples {
		if !changed[sm.ID] {
			t.Errorf("sample %s did not change", sm.ID)
		}
	}
}

func jsonAmount(t *testing.T, tr *audit.Trace) float64 {
	var ctx struct{ Amount float64 }
	if err := json.Unmarshal(tr.Context, &ctx); err != nil {
		t.Fatalf("context of %s: %v", tr.ID, err)
	}
	return ctx.Amount
}
