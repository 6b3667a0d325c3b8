package audittest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/verdicthq/verdict/audit"
)

func testIdempotency(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	ctx := context.Background()
	first := SampleTrace(0)
	first.KeyID, first.IdempotencyKey, first.RequestHash = "key-a", "order-1", "h1"
	MustAppend(t, s, first)

	retry := SampleTrace(1)
	retry.KeyID, retry.IdempotencyKey, retry.RequestHash = "key-a", "order-1", "h1"
	otherKey := SampleTrace(2)
	otherKey.KeyID, otherKey.IdempotencyKey = "key-b", "order-1"
	sameID := SampleTrace(3)
	sameID.ID, sameID.DecidedAt = first.ID, first.DecidedAt
	cases := []struct {
		name    string
		trace   *audit.Trace
		wantErr error
	}{
		{"same caller key, same idempotency key", retry, audit.ErrConflict},
		{"other caller key, same idempotency key", otherKey, nil},
		{"same decision id", sameID, audit.ErrConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := s.Append(ctx, c.trace); !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
				t.Fatalf("append: %v, want %v", err, c.wantErr)
			}
		})
	}
	t.Run("find", func(t *testing.T) {
		got, err := s.FindIdempotent(ctx, "key-a", "order-1")
		if err != nil {
			t.Fatalf("find: %v", err)
		}
		AssertSame(t, got, first)
		if _, err := s.FindIdempotent(ctx, "key-c", "order-1"); !errors.Is(err, audit.ErrNotFound) {
			t.Fatalf("find for another key: %v, want ErrNotFound", err)
		}
	})
	t.Run("concurrent retries store one", func(t *testing.T) {
		var ok, conflict atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tr := SampleTrace(100 + i)
				tr.KeyID, tr.IdempotencyKey = "key-race", "order-race"
				switch err := s.Append(ctx, tr); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, audit.ErrConflict):
					conflict.Add(1)
				default:
					t.Errorf("append: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || conflict.Load() != 19 {
			t.Fatalf("%d stored and %d conflicts, want 1 and 19", ok.Load(), conflict.Load())
		}
	})
}

func testConcurrent(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	const n = 300
	var wg sync.WaitGroup
	ids := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := SampleTrace(i)
			if err := s.Append(context.Background(), tr); err != nil {
				t.Errorf("append %d: %v", i, err)
			}
			ids[i] = tr.ID
		}()
	}
	wg.Wait()
	for i, id := range ids {
		got, err := s.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("get %d (%s): %v", i, id, err)
		}
		AssertSame(t, got, SampleTraceWithID(i, id))
	}
}

// SampleTraceWithID is SampleTrace(i) with a given id.
func SampleTraceWithID(i int, id string) *audit.Trace {
	tr := SampleTrace(i)
	tr.ID = id
	return tr
}

func testCloseDrains(t *testing.T, newURL NewURL) {
	url := newURL(t)
	s, err := audit.Open(context.Background(), url, audit.Options{MaxBatch: 8})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	const n = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := map[string]bool{}
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tr := SampleTrace(i)
			err := s.Append(context.Background(), tr)
			switch {
			case err == nil:
				mu.Lock()
				stored[tr.ID] = true
				mu.Unlock()
			case !errors.Is(err, audit.ErrClosed):
				t.Errorf("append %d: %v", i, err)
			}
		}()
	}
	close(start)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	wg.Wait()
	r := MustOpen(t, url, audit.Options{ReadOnly: true})
	for id := range stored {
		if _, err := r.Get(context.Background(), id); err != nil {
			t.Errorf("trace %s was acknowledged but is not stored: %v", id, err)
		}
	}
	var count int
	if err := r.Export(context.Background(), zeroTime, zeroTime, func(*audit.Trace) error { count++; return nil }); err != nil {
		t.Fatalf("export: %v", err)
	}
	if count != len(stored) {
		t.Fatalf("%d traces stored, %d acknowledged", count, len(stored))
	}
	t.Log(fmt.Sprintf("%d of %d appends acknowledged before close", len(stored), n))
}

// testNULInReportFields: the report's user_id and tags are Roundtable's (and
// user_id is set by the merchant's page), so they may hold a NUL character,
// which PostgreSQL text refuses. Such a trace is stored and reads back the
// same, and it does not fail the traces committed with it.
func testNULInReportFields(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	ctx := context.Background()
	tr := SampleTrace(0)
	tr.UserID, tr.Tags = "user\x00one", []string{"tag\x00one"}
	tr.Context = []byte(`{"note":"a\u0000b"}`)
	MustAppend(t, s, tr)
	got, err := s.Get(ctx, tr.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	AssertSame(t, got, tr)
}
