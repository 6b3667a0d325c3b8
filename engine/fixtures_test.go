package engine

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/report"
)

// TestReportFixtures checks the report fixtures the simulator serves: each
// decodes, has a unique session_id, and the demo sessions get the verdict the
// README promises from the shipped policy; every invalid one is rejected.
func TestReportFixtures(t *testing.T) {
	set, err := LoadDir("../rules")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../testdata/reports/*.json")
	if len(files) < 40 {
		t.Fatalf("only %d fixtures", len(files))
	}
	seen := map[string]string{}
	demos := map[string]Outcome{"demo-allow": Allow, "demo-review": Review, "demo-deny": Deny,
		"demo-account-allow": Allow, "demo-account-trusted": Review, "demo-account-deny": Deny}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, err := report.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := seen[r.SessionID]; dup {
				t.Fatalf("session_id %q also in %s", r.SessionID, other)
			}
			seen[r.SessionID] = f
			live, _ := set.Select(r.Tags)
			facts := Facts{Report: r, Context: nil}
			if len(live.Lists()) > 0 || len(live.Counters()) > 0 {
				// A policy with memory (the demo's account-checkout
				// sessions): its context, its lists, counters at 0.
				facts.Context = map[string]any{"amount": 40.0, "card_fingerprint": "card-demo", "ip": "198.51.100.7"}
				if facts.Lists, err = NewStaticLists(live.Lists(), map[string][]string{"trusted_users": {"user-trusted-001"}}); err != nil {
					t.Fatal(err)
				}
				facts.Counters = map[string]CounterValue{}
				for _, c := range live.Counters() {
					facts.Counters[c.Name] = CounterValue{Key: "k"}
				}
			}
			d := live.Evaluate(facts)
			if d.Reason == ReasonOnError {
				t.Errorf("on_error: %v", d.RuleErrors)
			}
			if want, ok := demos[r.SessionID]; ok && d.Outcome != want {
				t.Errorf("%s: %s, want %s", r.SessionID, d.Outcome, want)
			}
		})
	}
	for id := range demos {
		if seen[id] == "" {
			t.Errorf("no fixture for %s", id)
		}
	}
	invalid, _ := filepath.Glob("../testdata/reports/invalid/*.json")
	for _, f := range invalid {
		t.Run("invalid/"+filepath.Base(f), func(t *testing.T) {
			data, _ := os.ReadFile(f)
			if _, err := report.Decode(data); !errors.Is(err, report.ErrInvalid) {
				t.Errorf("got %v, want an invalid-report error", err)
			}
		})
	}
}
