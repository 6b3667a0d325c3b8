package fetcher

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/verdicthq/verdict/report"
)

// TestFlightsLeaderPanic checks that a fetch that panics does not stay
// visible as "under way": the next caller for the session runs a fresh fetch
// instead of joining a call that will never finish.
func TestFlightsLeaderPanic(t *testing.T) {
	var f flights
	store := func(string, *report.Report) {}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the leader's panic was swallowed")
			}
		}()
		f.do(context.Background(), "s1", time.Minute, func(context.Context, string) (*report.Report, error) {
			panic("boom")
		}, store)
	}()
	want := &report.Report{SessionID: "s1"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ran := false
	got, err := f.do(ctx, "s1", time.Minute, func(context.Context, string) (*report.Report, error) {
		ran = true
		return want, nil
	}, store)
	if err != nil || got != want || !ran {
		t.Fatalf("after a panicked fetch: ran=%v rep=%v err=%v; want a fresh fetch", ran, got, err)
	}
	f.close() // must not hang on the panicked fetch
	if _, err := f.do(ctx, "s1", time.Minute, nil, store); !errors.Is(err, report.ErrUnavailable) {
		t.Fatalf("after close: %v, want ErrUnavailable", err)
	}
}
