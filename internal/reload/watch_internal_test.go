package reload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/syncbuf"
	"github.com/verdicthq/verdict/internal/testwait"
)

const internalPolicy = `name: checkout
default: allow
on_error: review
rules:
  - id: high-risk
    when: risk_score >= %s
    action: deny
`

// TestWatchImpossibleThenRecovers: while no watcher can be made (here, as
// when inotify instances run out), the status, OnWatch and the log say so,
// SIGHUP-style reloads still work, and once a watcher can be made the watch
// comes back and picks up what changed meanwhile.
func TestWatchImpossibleThenRecovers(t *testing.T) {
	dir := t.TempDir()
	put := func(threshold string) string {
		content := strings.Replace(internalPolicy, "%s", threshold, 1)
		if err := os.WriteFile(filepath.Join(dir, "checkout.yaml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return content
	}
	put("80")
	logs := &syncbuf.Buffer{}
	statuses := make(chan WatchStatus, 100)
	reloads := make(chan Event, 100)
	live := &engine.Live{}
	r := New(Options{Dir: dir, Live: live, Logger: zerolog.New(logs), Retry: 20 * time.Millisecond, Settle: 50 * time.Millisecond,
		OnWatch: func(st WatchStatus) { statuses <- st }, OnReload: func(ev Event) { reloads <- ev }})
	var broken atomic.Bool
	broken.Store(true)
	r.newBackend = func() (backend, error) {
		if broken.Load() {
			return nil, errors.New("inotify_init1: too many open files")
		}
		return newBackend()
	}
	if _, err := r.Reload(context.Background(), TriggerStart); err != nil {
		t.Fatal(err)
	}
	<-reloads
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Watch(ctx, 20*time.Millisecond) }()
	defer func() { cancel(); <-done }()

	waitStatus := func(what string, ok func(WatchStatus) bool) {
		t.Helper()
		deadline := time.After(testwait.Timeout)
		for {
			select {
			case st := <-statuses:
				if ok(st) {
					return
				}
			case <-deadline:
				t.Fatalf("gave up waiting for %s; status %+v", what, r.WatchStatus())
			}
		}
	}
	waitStatus("watching off", func(st WatchStatus) bool { return !st.Watching && strings.Contains(st.Detail, "too many open files") })
	if st := r.WatchStatus(); st.Watching {
		t.Fatalf("status %+v", st)
	}
	if !strings.Contains(logs.String(), "policy file watching is off") || !strings.Contains(logs.String(), "SIGHUP and POST /v1/policies/reload still reload") {
		t.Fatalf("the log does not say watching is off:\n%s", logs.String())
	}
	v2 := put("70")
	set, err := r.Reload(context.Background(), TriggerSIGHUP)
	if err != nil || set.Policies()[0].Version != sha(v2) {
		t.Fatalf("SIGHUP reload while not watching: %v", err)
	}
	<-reloads
	v3 := put("60") // changed while not watching
	broken.Store(false)
	waitStatus("watching again", func(st WatchStatus) bool { return st.Watching })
	deadline := time.After(testwait.Timeout)
	for {
		select {
		case ev := <-reloads:
			if ev.Err == nil && ev.Set.Policies()[0].Version == sha(v3) && ev.Trigger == TriggerWatch {
				return
			}
		case <-deadline:
			t.Fatalf("the change made while not watching was never loaded; logs:\n%s", logs.String())
		}
	}
}

func sha(s string) string {
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:])
}
