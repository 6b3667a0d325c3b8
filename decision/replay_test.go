package decision_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/audit/audittest"
	_ "github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/decision"
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
