package decision_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/report"
)

const simKey = "sk-test-roundtable-key-0042"

// at2031 is a decision time after the after-2031 rule's date; at2030 before it.
var (
	at2031 = time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)
	at2030 = time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
)

// env is a pipeline in front of the real Roundtable simulator, over real HTTP.
type env struct {
	sim      *roundtabletest.Server
	pipeline *decision.Pipeline
	set      *engine.Set
}

func newEnv(t *testing.T) *env {
	t.Helper()
	set, err := engine.LoadDir("testdata/rules")
	if err != nil {
		t.Fatalf("load rules: %v", err)
	}
	sim, err := roundtabletest.Start(roundtabletest.Options{ReportsDir: "testdata/reports", APIKey: simKey})
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	client, err := fetcher.New(fetcher.Config{BaseURL: sim.URL(), APIKey: simKey, Timeout: 2 * time.Second, CacheTTL: -1})
	if err != nil {
		t.Fatalf("fetcher.New: %v", err)
	}
	t.Cleanup(client.Close)
	return &env{sim: sim, set: set, pipeline: &decision.Pipeline{Policies: decision.Static(set), Fetcher: client}}
}

func mustReport(t testing.TB, name string) *report.Report {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata/reports", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Decode(raw)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return r
}

func firedIDs(d engine.Decision) string {
	ids := make([]string, len(d.FiredRules))
	for i, f := range d.FiredRules {
		ids[i] = f.ID
	}
	return strings.Join(ids, ",")
}

// TestDecide runs the sequence over fetched reports: selection by tags, the
// context, the shadow policy, and a report that cannot be had.
func TestDecide(t *testing.T) {
	e := newEnv(t)
	e.sim.SetFault("t-down", roundtabletest.Fault{Status: 503})
	cases := []struct {
		name         string
		req          decision.Request
		policy       string
		outcome      engine.Outcome
		reason       string
		fired        string
		reportStatus string
		shadow       engine.Outcome // "" for none
		shadowError  bool
	}{
		{name: "allow", req: decision.Request{SessionID: "t-allow"},
			policy: "checkout", outcome: engine.Allow, reason: engine.ReasonDefault, reportStatus: "ok", shadow: engine.Allow},
		{name: "review with shadow deny", req: decision.Request{SessionID: "t-review", Context: map[string]any{"amount": 20.0}},
			policy: "checkout", outcome: engine.Review, reason: engine.ReasonRules, fired: "medium-risk-score", reportStatus: "ok", shadow: engine.Deny},
		{name: "context decides", req: decision.Request{SessionID: "t-allow", Context: map[string]any{"amount": 600.0}},
			policy: "checkout", outcome: engine.Review, reason: engine.ReasonRules, fired: "big-basket", reportStatus: "ok", shadow: engine.Allow},
		{name: "policy chosen by tag", req: decision.Request{SessionID: "t-mobile"},
			policy: "mobile", outcome: engine.Deny, reason: engine.ReasonRules, fired: "mobile-risk", reportStatus: "ok"},
		{name: "tags given override the report's", req: decision.Request{SessionID: "t-mobile", Tags: []string{"checkout-flow"}},
			policy: "checkout", outcome: engine.Allow, reason: engine.ReasonDefault, reportStatus: "ok", shadow: engine.Deny},
		{name: "shadow skipped", req: decision.Request{SessionID: "t-review", NoShadow: true},
			policy: "checkout", outcome: engine.Review, reason: engine.ReasonRules, fired: "medium-risk-score", reportStatus: "ok"},
		{name: "shadow refuses the context, live does not", req: decision.Request{SessionID: "t-review", Context: map[string]any{"channel": 5.0}},
			policy: "checkout", outcome: engine.Review, reason: engine.ReasonRules, fired: "medium-risk-score", reportStatus: "ok", shadowError: true},
		{name: "unknown session: on_error by the default policy", req: decision.Request{SessionID: "no-such-session"},
			policy: "checkout", outcome: engine.Review, reason: engine.ReasonOnError, reportStatus: "not_found"},
		{name: "Roundtable down: on_error", req: decision.Request{SessionID: "t-down"},
			policy: "checkout", outcome: engine.Review, reason: engine.ReasonOnError, reportStatus: "unavailable"},
		{name: "inline report: nothing fetched", req: decision.Request{Report: mustReport(t, "t-review"), SessionID: "t-review"},
			policy: "checkout", outcome: engine.Review, reason: engine.ReasonRules, fired: "medium-risk-score", reportStatus: "ok", shadow: engine.Deny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.sim.Requests())
			tc.req.Now = at2030
			res, err := e.pipeline.Decide(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			d := res.Live
			if d.Policy.Name != tc.policy || d.Outcome != tc.outcome || d.Reason != tc.reason || firedIDs(d) != tc.fired || res.ReportStatus != tc.reportStatus {
				t.Fatalf("got %s %s/%s fired %q report %s; want %s %s/%s fired %q report %s",
					d.Policy.Name, d.Outcome, d.Reason, firedIDs(d), res.ReportStatus, tc.policy, tc.outcome, tc.reason, tc.fired, tc.reportStatus)
			}
			if (res.Report == nil) != (tc.reportStatus != "ok") || (res.FetchError == "") != (tc.reportStatus == "ok") {
				t.Fatalf("report %v, fetch error %q", res.Report != nil, res.FetchError)
			}
			switch {
			case tc.shadow == "" && res.Shadow != nil:
				t.Fatalf("shadow %+v, want none", res.Shadow)
			case tc.shadow != "" && (res.Shadow == nil || res.Shadow.Outcome != tc.shadow):
				t.Fatalf("shadow %+v, want %s", res.Shadow, tc.shadow)
			case tc.shadowError != (res.ShadowError != ""):
				t.Fatalf("shadow error %q", res.ShadowError)
			}
			if !res.DecidedAt.Equal(at2030) || res.DecisionID == "" || res.Timings.Total < res.Timings.Fetch+res.Timings.Evaluate {
				t.Fatalf("decided at %v, id %q, timings %+v", res.DecidedAt, res.DecisionID, res.Timings)
			}
			fetched := len(e.sim.Requests()) - before
			if inline := tc.req.Report != nil; inline && fetched != 0 || !inline && fetched == 0 {
				t.Fatalf("%d upstream requests (inline report: %v)", fetched, inline)
			}
		})
	}
}

// TestDecideErrors: what is not decidable is an error, never a Result.
func TestDecideErrors(t *testing.T) {
	e := newEnv(t)
	bad := map[string]any{"amount": "120.00"}
	t.Run("the live policy refuses the context", func(t *testing.T) {
		_, err := e.pipeline.Decide(context.Background(), decision.Request{SessionID: "t-allow", Context: bad})
		var ce *engine.ContextError
		if !errors.As(err, &ce) {
			t.Fatalf("err %v, want *engine.ContextError", err)
		}
	})
	t.Run("lenient: the refused context is decided on_error", func(t *testing.T) {
		res, err := e.pipeline.Decide(context.Background(), decision.Request{SessionID: "t-allow", Context: bad, LenientContext: true})
		if err != nil || res.Live.Reason != engine.ReasonOnError || len(res.Live.RuleErrors) == 0 {
			t.Fatalf("got %+v, %v; want on_error with a rule error", res.Live, err)
		}
	})
	t.Run("no policy set", func(t *testing.T) {
		p := &decision.Pipeline{Policies: &engine.Live{}}
		if _, err := p.Decide(context.Background(), decision.Request{Report: mustReport(t, "t-allow")}); !errors.Is(err, decision.ErrNoPolicySet) {
			t.Fatalf("err %v, want ErrNoPolicySet", err)
		}
	})
	t.Run("no report and no fetcher", func(t *testing.T) {
		p := &decision.Pipeline{Policies: decision.Static(e.set)}
		if _, err := p.Decide(context.Background(), decision.Request{SessionID: "t-allow"}); !errors.Is(err, decision.ErrNoFetcher) {
			t.Fatalf("err %v, want ErrNoFetcher", err)
		}
	})
}

// TestSameInputSameTime: the same input at the same time gives the same
// decision, twice, whether the report is fetched or handed in — and the
// time is the one given, for a rule that reads now().
func TestSameInputSameTime(t *testing.T) {
	e := newEnv(t)
	decide := func(req decision.Request) decision.Result {
		t.Helper()
		res, err := e.pipeline.Decide(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		res.DecisionID, res.Timings, res.Report = "", audit.Timings{}, nil // ids and timings differ by design; the report is the same session's, fetched or read from its file
		return res
	}
	for _, at := range []time.Time{at2030, at2031} {
		fetched := decision.Request{SessionID: "t-allow", Context: map[string]any{"amount": 20.0}, Now: at}
		inline := fetched
		inline.Report = mustReport(t, "t-allow")
		first := decide(fetched)
		for name, req := range map[string]decision.Request{"fetched again": fetched, "inline": inline} {
			if again := decide(req); !reflect.DeepEqual(first, again) {
				t.Fatalf("at %v, %s:\n%+v\nthen\n%+v", at, name, first, again)
			}
		}
		want := engine.Allow
		if at.Equal(at2031) {
			want = engine.Review // after-2031 reads now(): the pinned time, not the clock
		}
		if first.Live.Outcome != want || !first.DecidedAt.Equal(at) {
			t.Fatalf("at %v: %s (fired %q), decided at %v; want %s", at, first.Live.Outcome, firedIDs(first.Live), first.DecidedAt, want)
		}
	}
}
