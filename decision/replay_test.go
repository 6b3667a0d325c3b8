package decision_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
)

// TestReplayDeciderIsServe: replay decides a stored decision as serve did —
// the same pipeline, the same facts, at the stored time.
func TestReplayDeciderIsServe(t *testing.T) {
	e := newEnv(t)
	replay := decision.ReplayDecider(e.set)
	for _, session := range []string{"t-allow", "t-review", "t-mobile"} {
		for _, at := range []time.Time{at2030, at2031} {
			ctx := map[string]any{"amount": 600.0}
			served, err := e.pipeline.Decide(context.Background(), decision.Request{SessionID: session, Context: ctx, Now: at})
			if err != nil {
				t.Fatal(err)
			}
			rep := mustReport(t, session)
			replayed := replay(audit.ReplayInput{ID: served.DecisionID, DecidedAt: at, Tags: rep.Tags, Report: rep, Context: ctx})
			if !reflect.DeepEqual(served.Live, replayed) {
				t.Fatalf("%s at %v: served\n%+v\nreplayed\n%+v", session, at, served.Live, replayed)
			}
		}
	}
}

// TestReplaySameSetChangesNothing replays a real SQLite log, decided by the
// pipeline at two times on either side of a rule that reads now(), with the
// same policies: nothing moves, because each decision is replayed at its own
// decided_at.
func TestReplaySameSetChangesNothing(t *testing.T) {
	e := newEnv(t)
	s := audittest.MustOpen(t, filepath.Join(t.TempDir(), "log.db"), audit.Options{})
	n := 0
	for _, session := range []string{"t-allow", "t-review", "t-mobile"} {
		raw, err := os.ReadFile(filepath.Join("testdata/reports", session+".json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Time{at2030, at2031} {
			audittest.MustAppend(t, s, audittest.Decide(e.set, raw, map[string]any{"amount": 20.0}, at))
			n++
		}
	}
	rep, err := audit.Replay(context.Background(), s, decision.ReplayDecider(e.set), audit.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != int64(n) || rep.Replayed != int64(n) || rep.Changed != 0 || rep.RulesChanged != 0 || rep.CandidateRuleErrors != 0 {
		t.Fatalf("read %d, replayed %d, changed %d, rules changed %d, rule errors %d; want %d, %d, 0, 0, 0",
			rep.Read, rep.Replayed, rep.Changed, rep.RulesChanged, rep.CandidateRuleErrors, n, n)
	}
}

// TestReplayDeciderHostileInputs: what a Decider may be handed beyond what
// audit.Replay hands it never panics and decides on_error.
func TestReplayDeciderHostileInputs(t *testing.T) {
	set := newEnv(t).set
	replay := decision.ReplayDecider(set)
	cases := []struct {
		name string
		in   audit.ReplayInput
	}{
		{"no report", audit.ReplayInput{ID: "d-1", DecidedAt: at2030}},
		{"no report, mobile tags", audit.ReplayInput{ID: "d-2", DecidedAt: at2030, Tags: []string{"mobile-app"}}},
		{"a context the candidate refuses", audit.ReplayInput{ID: "d-3", DecidedAt: at2030, Report: mustReport(t, "t-allow"),
			Context: map[string]any{"amount": "120.00"}}},
		{"zero time", audit.ReplayInput{ID: "d-4", Report: mustReport(t, "t-allow"), Context: map[string]any{"amount": []any{1.0}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := replay(c.in)
			if d.Reason != engine.ReasonOnError || d.Outcome.Severity() < 0 || d.Policy.Name == "" {
				t.Fatalf("got %+v, want an on_error decision by a policy", d)
			}
		})
	}
	if d := replay(cases[1].in); d.Policy.Name != "mobile" || d.Outcome != engine.Deny {
		t.Fatalf("no report with mobile tags: %+v, want mobile's on_error (deny)", d)
	}
}
