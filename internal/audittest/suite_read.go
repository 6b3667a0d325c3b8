package audittest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

var zeroTime time.Time

// seed appends SampleTrace(0..n-1) and returns them.
func seed(t *testing.T, s audit.Store, n int) []*audit.Trace {
	t.Helper()
	traces := make([]*audit.Trace, n)
	for i := range traces {
		traces[i] = SampleTrace(i)
	}
	MustAppend(t, s, traces...)
	return traces
}

// want lists the ids of the traces a filter should select, newest first:
// the model the stores are checked against.
func want(traces []*audit.Trace, f audit.Filter) []string {
	var sel []*audit.Trace
	for _, tr := range traces {
		switch {
		case f.SessionID != "" && tr.SessionID != f.SessionID,
			f.UserID != "" && tr.UserID != f.UserID,
			f.Outcome != "" && tr.Outcome != f.Outcome,
			f.PolicyVersion != "" && tr.Policy.Version != f.PolicyVersion,
			f.Rule != "" && !slices.Contains(tr.FiredRuleIDs(), f.Rule),
			!f.Since.IsZero() && tr.DecidedAt.Before(f.Since),
			!f.Until.IsZero() && !tr.DecidedAt.Before(f.Until):
			continue
		}
		sel = append(sel, tr)
	}
	sort.Slice(sel, func(i, j int) bool {
		a, b := sel[i], sel[j]
		if !a.DecidedAt.Equal(b.DecidedAt) {
			return a.DecidedAt.After(b.DecidedAt)
		}
		return a.ID > b.ID
	})
	ids := make([]string, len(sel))
	for i, tr := range sel {
		ids[i] = tr.ID
	}
	return ids
}

func ids(traces []*audit.Trace) []string {
	out := make([]string, len(traces))
	for i, tr := range traces {
		out[i] = tr.ID
	}
	return out
}

func filterCases() []struct {
	name string
	f    audit.Filter
} {
	return []struct {
		name string
		f    audit.Filter
	}{
		{"no filter", audit.Filter{}},
		{"session", audit.Filter{SessionID: "sess-3"}},
		{"user", audit.Filter{UserID: "user-2"}},
		{"outcome", audit.Filter{Outcome: engine.Deny}},
		{"rule", audit.Filter{Rule: "bot-behind-anonymizer"}},
		{"policy version", audit.Filter{PolicyVersion: SampleTrace(1).Policy.Version}},
		{"since", audit.Filter{Since: Base.Add(40 * time.Second)}},
		{"until", audit.Filter{Until: Base.Add(10 * time.Second)}},
		{"rule, outcome and time", audit.Filter{Rule: "very-high-risk", Outcome: engine.Review,
			Since: Base.Add(5 * time.Second), Until: Base.Add(50 * time.Second)}},
		{"session and user", audit.Filter{SessionID: "sess-1", UserID: "user-1"}},
		{"matches nothing", audit.Filter{SessionID: "sess-none"}},
	}
}

func testQuery(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	traces := seed(t, s, 60)
	for _, c := range filterCases() {
		t.Run(c.name, func(t *testing.T) {
			f := c.f
			f.Limit = audit.MaxLimit
			page, err := s.Query(context.Background(), f)
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			if got, w := ids(page.Traces), want(traces, c.f); !slices.Equal(got, w) {
				t.Fatalf("got %d traces %v\nwant %d %v", len(got), got, len(w), w)
			}
			if page.NextCursor != "" {
				t.Fatalf("next cursor %q on the only page", page.NextCursor)
			}
		})
	}
	bad := []struct {
		name string
		f    audit.Filter
	}{
		{"cursor not base64", audit.Filter{Cursor: "%%%"}},
		{"cursor malformed", audit.Filter{Cursor: "bm9wZQ"}},
		{"limit too large", audit.Filter{Limit: audit.MaxLimit + 1}},
		{"outcome unknown", audit.Filter{Outcome: "maybe"}},
		{"since after until", audit.Filter{Since: Base.Add(time.Hour), Until: Base}},
	}
	for _, c := range bad {
		t.Run("invalid/"+c.name, func(t *testing.T) {
			if _, err := s.Query(context.Background(), c.f); !errors.Is(err, audit.ErrInvalid) {
				t.Fatalf("query: %v, want ErrInvalid", err)
			}
		})
	}
}

func testPagination(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	traces := seed(t, s, 60)
	// Two traces in the same microsecond: the id breaks the tie.
	tie1, tie2 := SampleTrace(3), SampleTrace(6)
	tie1.DecidedAt, tie2.DecidedAt = Base.Add(30*time.Second+time.Millisecond), Base.Add(30*time.Second+time.Millisecond)
	MustAppend(t, s, tie1, tie2)
	traces = append(traces, tie1, tie2)
	for _, c := range filterCases() {
		t.Run(c.name, func(t *testing.T) {
			f := c.f
			f.Limit = 7
			w := want(traces, c.f)
			var got []string
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatalf("more than 20 pages")
				}
				page, err := s.Query(context.Background(), f)
				if err != nil {
					t.Fatalf("query page %d: %v", pages, err)
				}
				if len(page.Traces) > 7 {
					t.Fatalf("page of %d traces, limit 7", len(page.Traces))
				}
				got = append(got, ids(page.Traces)...)
				if pages == 0 {
					// Concurrent writes of newer traces must not shift later pages.
					newer := SampleTrace(1000)
					MustAppend(t, s, newer)
					traces = append(traces, newer)
				}
				if page.NextCursor == "" {
					break
				}
				f.Cursor = page.NextCursor
			}
			if !slices.Equal(got, w) {
				t.Fatalf("pages gave %d traces %v\nwant %d %v", len(got), got, len(w), w)
			}
		})
	}
}

func testExport(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	traces := seed(t, s, 30)
	ctx := context.Background()
	cases := []struct {
		name         string
		since, until time.Time
		from, to     int // want traces[from:to], oldest first
	}{
		{"everything", zeroTime, zeroTime, 0, 30},
		{"since", Base.Add(25 * time.Second), zeroTime, 25, 30},
		{"until (exclusive)", zeroTime, Base.Add(5 * time.Second), 0, 5},
		{"window", Base.Add(10 * time.Second), Base.Add(20 * time.Second), 10, 20},
		{"empty", Base.Add(time.Hour), zeroTime, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []*audit.Trace
			if err := s.Export(ctx, c.since, c.until, func(tr *audit.Trace) error { got = append(got, tr); return nil }); err != nil {
				t.Fatalf("export: %v", err)
			}
			if w := ids(traces[c.from:c.to]); !slices.Equal(ids(got), w) {
				t.Fatalf("exported %v\nwant %v", ids(got), w)
			}
			for i, tr := range got {
				AssertSame(t, tr, traces[c.from+i])
			}
			if rs, ok := s.(audit.RowSource); ok {
				n, err := rs.Count(ctx, c.since, c.until)
				if err != nil || n != int64(c.to-c.from) {
					t.Fatalf("count: %d, %v; want %d", n, err, c.to-c.from)
				}
			}
		})
	}
	t.Run("callback error stops", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := s.Export(ctx, zeroTime, zeroTime, func(*audit.Trace) error {
			if n++; n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 3 {
			t.Fatalf("export: %v after %d traces, want stop after 3", err, n)
		}
	})
}

func testPrune(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	traces := seed(t, s, 40)
	ctx := context.Background()
	n, err := s.Prune(ctx, Base.Add(25*time.Second))
	if err != nil {
		t.Fatalf("prune: %v", err)
	}
	if n != 25 {
		t.Fatalf("pruned %d traces, want 25", n)
	}
	if _, err := s.Get(ctx, traces[24].ID); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("get pruned trace: %v, want ErrNotFound", err)
	}
	for _, c := range filterCases() {
		page, err := s.Query(ctx, audit.Filter{Rule: c.f.Rule, SessionID: c.f.SessionID, Limit: audit.MaxLimit})
		if err != nil {
			t.Fatalf("query %s: %v", c.name, err)
		}
		f := c.f
		if w := want(traces[25:], audit.Filter{Rule: f.Rule, SessionID: f.SessionID}); !slices.Equal(ids(page.Traces), w) {
			t.Fatalf("%s after prune: %v, want %v", c.name, ids(page.Traces), w)
		}
	}
	if n, err := s.Prune(ctx, Base.Add(25*time.Second)); err != nil || n != 0 {
		t.Fatalf("second prune: %d, %v; want 0, nil", n, err)
	}
}

func testReplayRows(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	rs, ok := s.(audit.RowSource)
	if !ok {
		t.Fatalf("%T is not an audit.RowSource", s)
	}
	traces := seed(t, s, 12)
	mon := SampleTrace(12)
	mon.MonitorOnly, mon.WouldBeOutcome, mon.Outcome = true, engine.Deny, engine.Allow
	mon.Context = nil
	MustAppend(t, s, mon)
	traces = append(traces, mon)
	var got []*audit.ReplayRow
	err := rs.ReplayRows(context.Background(), zeroTime, zeroTime, func(r *audit.ReplayRow) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatalf("replay rows: %v", err)
	}
	if len(got) != len(traces) {
		t.Fatalf("%d rows, want %d", len(got), len(traces))
	}
	for i, r := range got {
		tr := traces[i]
		var tags, fired []string
		if err := json.Unmarshal(r.Tags, &tags); err != nil || !slices.Equal(tags, tr.Tags) {
			t.Errorf("row %d tags %s (%v), want %v", i, r.Tags, err, tr.Tags)
		}
		if err := json.Unmarshal(r.FiredRules, &fired); err != nil || !slices.Equal(fired, SampleFires(i)) {
			t.Errorf("row %d fired %s (%v), want %v", i, r.FiredRules, err, SampleFires(i))
		}
		switch {
		case r.ID != tr.ID || !r.DecidedAt.Equal(tr.DecidedAt) || r.SessionID != tr.SessionID:
			t.Errorf("row %d is %s at %v, want %s at %v", i, r.ID, r.DecidedAt, tr.ID, tr.DecidedAt)
		case r.ReportStatus != tr.ReportStatus || r.Policy != tr.Policy || r.Outcome != tr.PolicyOutcome():
			t.Errorf("row %d: status %s policy %v outcome %s; want %s %v %s", i, r.ReportStatus, r.Policy, r.Outcome,
				tr.ReportStatus, tr.Policy, tr.PolicyOutcome())
		case !bytes.Equal(r.Report, tr.Report):
			t.Errorf("row %d: report bytes differ", i)
		case len(tr.Context) == 0 && len(r.Context) != 0:
			t.Errorf("row %d: context %s, want none", i, r.Context)
		case len(tr.Context) > 0 && !jsonEqual(r.Context, tr.Context):
			t.Errorf("row %d: context %s, want %s", i, r.Context, tr.Context)
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
