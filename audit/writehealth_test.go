package audit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWriteHealth: a recent good commit is trusted without a probe; idle past
// WriteTrust, or after a failed commit, the probe decides; a probe that
// writes makes the log ready again.
func TestWriteHealth(t *testing.T) {
	now := time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)
	h := &writeHealth{now: func() time.Time { return now }}
	var probes atomic.Int32
	probeErr := error(nil)
	probe := func(context.Context) error { probes.Add(1); return probeErr }
	ctx := context.Background()

	steps := []struct {
		name       string
		do         func()
		wantErr    string // "" for ready
		wantProbes int32
	}{
		{"never written: the probe runs", func() {}, "", 1},
		{"right after a good probe: trusted", func() { now = now.Add(WriteTrust / 2) }, "", 1},
		{"a good commit renews the trust", func() { now = now.Add(WriteTrust / 2); h.record(nil) }, "", 1},
		{"idle past the trust: probed again", func() { now = now.Add(WriteTrust) }, "", 2},
		{"a failed commit: probed at once", func() { h.record(errors.New("disk I/O error")) }, "", 3},
		{"commit and probe fail", func() {
			h.record(errors.New("database or disk is full"))
			probeErr = errors.New("write probe: database or disk is full")
		}, "cannot write since 2031-06-01T00:00:02Z: write probe: database or disk is full", 4},
		{"still failing: probed each time", func() { now = now.Add(time.Millisecond) }, "write probe: database or disk is full", 5},
		{"writes succeed again", func() { probeErr = nil }, "", 6},
		{"and are trusted", func() {}, "", 6},
	}
	for _, st := range steps {
		st.do()
		err := h.check(ctx, probe)
		switch {
		case st.wantErr == "" && err != nil:
			t.Fatalf("%s: %v, want ready", st.name, err)
		case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
			t.Fatalf("%s: %v, want an error with %q", st.name, err, st.wantErr)
		}
		if got := probes.Load(); got != st.wantProbes {
			t.Fatalf("%s: %d probes in all, want %d", st.name, got, st.wantProbes)
		}
	}
}

// TestWriteHealthOneProbeAtATime: checks that arrive while a probe runs wait
// for it and share its outcome; a check whose context ends first returns.
func TestWriteHealthOneProbeAtATime(t *testing.T) {
	h := &writeHealth{}
	release := make(chan struct{})
	started := make(chan struct{})
	var probes, running, most atomic.Int32
	probe := func(context.Context) error {
		n := running.Add(1)
		defer running.Add(-1)
		if n > most.Load() {
			most.Store(n)
		}
		if probes.Add(1) == 1 {
			close(started)
		}
		<-release
		return errors.New("write probe: disk I/O error")
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	wg.Go(func() { errs[0] = h.check(context.Background(), probe) })
	<-started
	for i := 1; i < len(errs); i++ {
		wg.Go(func() { errs[i] = h.check(context.Background(), probe) })
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.check(ctx, probe); err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("a check with an ended context: %v, want context.Canceled", err)
	}
	close(release)
	wg.Wait()
	if n := most.Load(); n != 1 {
		t.Errorf("%d probes ran at once, want 1", n)
	}
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "disk I/O error") {
			t.Errorf("check %d: %v, want the probe's error", i, err)
		}
	}
}
