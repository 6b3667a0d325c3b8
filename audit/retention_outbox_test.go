package audit_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// storeOnly hides every method but audit.Store's: a log without an outbox.
type storeOnly struct{ audit.Store }

func TestRetentionPrunesTheOutbox(t *testing.T) {
	ctx := context.Background()
	s := audittest.MustOpen(t, filepath.Join(t.TempDir(), "log.db"), audit.Options{})
	for i := range 10 {
		tr := audittest.SampleTrace(3*i + 2) // a deny: one decision.denied event
		tr.DecidedAt = audittest.Base.Add(time.Duration(i) * time.Hour)
		audittest.MustAppend(t, s, tr)
	}
	now := audittest.Base.Add(9*time.Hour + time.Minute)
	// An endpoint of other events: each event is fanned out, none sent.
	if n, err := s.(audit.Outbox).FanOut(ctx, []audit.Endpoint{{ID: "x", Events: []string{audit.EventReviewResolved}}}, now, 100); err != nil || n != 0 {
		t.Fatalf("fan out: %d, %v", n, err)
	}
	var reported []int64
	r := &audit.Retention{Store: s, Keep: 4 * time.Hour, Now: func() time.Time { return now },
		ReportOutbox: func(n int64, _ time.Time, err error) {
			if err != nil {
				t.Errorf("outbox retention: %v", err)
			}
			reported = append(reported, n)
		},
	}
	n, before, ok, err := r.PruneOutboxOnce(ctx)
	if err != nil || !ok || n != 6 || !before.Equal(now.Add(-4*time.Hour)) {
		t.Fatalf("prune outbox: %d before %v (ok %v), %v; want 6 (hours 0-5) before %v", n, before, ok, err, now.Add(-4*time.Hour))
	}
	// Run prunes the outbox after the traces; nothing is left to prune.
	rctx, cancel := context.WithCancel(ctx)
	r.Report = func(int64, time.Time, error) {}
	r.ReportOutbox = func(n int64, _ time.Time, err error) {
		reported = append(reported, n)
		if err != nil {
			t.Errorf("outbox retention: %v", err)
		}
		cancel()
	}
	done := make(chan struct{})
	go func() { r.Run(rctx); close(done) }()
	<-done
	if len(reported) != 1 || reported[0] != 0 {
		t.Fatalf("Run reported %v pruned events, want [0]", reported)
	}

	other := &audit.Retention{Store: storeOnly{s}, Keep: time.Hour}
	if n, _, ok, err := other.PruneOutboxOnce(ctx); ok || n != 0 || err != nil {
		t.Fatalf("a log without an outbox: %d, ok %v, %v; want nothing done", n, ok, err)
	}
}
