package audit_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/testwait"
)

func row(i int) *audit.Row {
	r, err := audit.EncodeRow(audittest.SampleTrace(i), time.Now())
	if err != nil {
		panic(err)
	}
	return r
}

func TestBatcherGroupsConcurrentSubmits(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	commit := func(ctx context.Context, rows []*audit.Row, errs []error) error {
		mu.Lock()
		sizes = append(sizes, len(rows))
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			<-release // hold the first commit while the others queue up
		}
		return nil
	}
	b := audit.NewBatcher(commit, 100, 1, time.Minute)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); b.Submit(context.Background(), row(0)) }()
	testwait.Until(t, "the first commit to hold the writer", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(sizes) == 1
	})
	const n = 50
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- b.Submit(context.Background(), row(i+1)) }()
	}
	testwait.Until(t, "the 50 to wait in the queue behind the held commit", func() bool { return b.Pending() >= n })
	close(release)
	wg.Wait()
	b.Close()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
	}
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != n {
		t.Fatalf("batch sizes %v, want [1 %d]", sizes, n)
	}
}

func TestBatcherErrors(t *testing.T) {
	boom := errors.New("disk full")
	commit := func(ctx context.Context, rows []*audit.Row, errs []error) error {
		for i, r := range rows {
			switch r.Trace.SessionID {
			case "sess-1":
				errs[i] = audit.ErrConflict
			case "sess-2":
				return boom
			case "sess-3":
				panic("driver bug")
			}
		}
		return nil
	}
	b := audit.NewBatcher(commit, 1, 1, time.Minute)
	cases := []struct {
		name string
		i    int
		want error
	}{
		{"committed", 0, nil},
		{"row refused", 1, audit.ErrConflict},
		{"transaction failed", 2, boom},
		{"commit panicked", 3, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := b.Submit(context.Background(), row(c.i))
			if c.name == "commit panicked" {
				if err == nil || !strings.Contains(err.Error(), "driver bug") {
					t.Fatalf("submit: %v, want the panic as an error", err)
				}
				return
			}
			if c.want == nil && err != nil || !errors.Is(err, c.want) {
				t.Fatalf("submit: %v, want %v", err, c.want)
			}
		})
	}
	b.Close()
	if err := b.Submit(context.Background(), row(0)); !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("submit after close: %v, want ErrClosed", err)
	}
}

func TestBatcherSubmitHonoursContext(t *testing.T) {
	block := make(chan struct{})
	commit := func(ctx context.Context, rows []*audit.Row, errs []error) error { <-block; return nil }
	b := audit.NewBatcher(commit, 1, 1, time.Minute)
	defer b.Close()
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.Submit(ctx, row(0)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("submit: %v, want DeadlineExceeded", err)
	}
}
