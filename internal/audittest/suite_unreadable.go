package audittest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// deepContext is a context nested n objects deep: {"a":{"a":...1...}}.
func deepContext(n int) []byte {
	return []byte(strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n))
}

// testUnreadable: a stored trace that no longer decodes (here a context
// nested 10,000 deep, which the API once accepted: the body it sits in is one
// level deeper than encoding/json decodes) comes back from Get, Query and
// Export as an unreadable entry with its id, time and report; the traces
// around it are read as usual, and a page may end on it.
func testUnreadable(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	ctx := context.Background()
	before, bad, after := SampleTrace(1), SampleTrace(2), SampleTrace(3)
	bad.Context = deepContext(10_000)
	MustAppend(t, s, before, bad, after)

	check := func(t *testing.T, got *audit.Trace) {
		t.Helper()
		if got.Unreadable == "" || got.ID != bad.ID || !got.DecidedAt.Equal(bad.DecidedAt) || string(got.Report) != string(bad.Report) {
			t.Fatalf("unreadable entry %+v, want id %s at %v with its report", got, bad.ID, bad.DecidedAt)
		}
	}
	t.Run("get", func(t *testing.T) {
		got, err := s.Get(ctx, bad.ID)
		if err != nil {
			t.Fatal(err)
		}
		check(t, got)
	})
	t.Run("query", func(t *testing.T) {
		page, err := s.Query(ctx, audit.Filter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Traces) != 3 {
			t.Fatalf("%d traces, want 3", len(page.Traces))
		}
		check(t, page.Traces[1])
		AssertSame(t, page.Traces[0], after)
		AssertSame(t, page.Traces[len(page.Traces)-1], before)
	})
	t.Run("query page ends on it", func(t *testing.T) {
		page, err := s.Query(ctx, audit.Filter{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		check(t, page.Traces[1])
		next, err := s.Query(ctx, audit.Filter{Limit: 2, Cursor: page.NextCursor})
		if err != nil || len(next.Traces) != 1 {
			t.Fatalf("next page after the unreadable entry: %v, %v", next.Traces, err)
		}
		AssertSame(t, next.Traces[0], before)
	})
	t.Run("export", func(t *testing.T) {
		var got []*audit.Trace
		if err := s.Export(ctx, time.Time{}, time.Time{}, func(tr *audit.Trace) error { got = append(got, tr); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("exported %d traces, want 3", len(got))
		}
		check(t, got[1])
	})
}
