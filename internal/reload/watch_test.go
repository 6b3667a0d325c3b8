package reload_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/reload"
	"github.com/verdicthq/verdict/internal/syncbuf"
	"github.com/verdicthq/verdict/internal/testwait"
)

// policyV is a valid default policy whose rule threshold tells versions apart.
func policyV(threshold string) string {
	return strings.Replace(goodPolicy, "risk_score >= 80", "risk_score >= "+threshold, 1)
}

func version(content string) string {
	d := sha256.Sum256([]byte(content))
	return hex.EncodeToString(d[:])
}

// watchRig is a Reloader watching a folder, with every reload event, hold
// and watch status delivered on channels, so tests wait on events.
type watchRig struct {
	t        *testing.T
	r        *reload.Reloader
	live     *engine.Live
	logs     *syncbuf.Buffer
	reloads  chan reload.Event
	holds    chan []string
	statuses chan reload.WatchStatus
}

// backends are the file watchers tried: the native one (inotify on Linux)
// and fsnotify, the one other systems use, so its path runs here too.
var backends = []struct {
	name     string
	fsnotify bool
}{{"native", false}, {"fsnotify", true}}

// forEachBackend runs f once per backend; start starts a watch through it.
func forEachBackend(t *testing.T, f func(t *testing.T, start func(dir string) *watchRig)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f(t, func(dir string) *watchRig { return startWatch(t, dir, b.fsnotify) })
		})
	}
}

// startWatch loads dir (as configured: it may be a symlink) and watches it
// until the test ends, through fsnotify when asked.
func startWatch(t *testing.T, dir string, fsnotify bool) *watchRig {
	t.Helper()
	w := &watchRig{t: t, live: &engine.Live{}, logs: &syncbuf.Buffer{},
		reloads: make(chan reload.Event, 100), holds: make(chan []string, 100), statuses: make(chan reload.WatchStatus, 100)}
	w.r = reload.New(reload.Options{
		Dir: dir, Live: w.live, Logger: zerolog.New(w.logs).With().Timestamp().Logger(), Settle: 50 * time.Millisecond, Retry: 20 * time.Millisecond,
		OnReload: func(ev reload.Event) { w.reloads <- ev },
		OnHold:   func(files []string) { w.holds <- files },
		OnWatch:  func(st reload.WatchStatus) { w.statuses <- st },
	})
	if fsnotify {
		reload.UseFSNotify(w.r)
	}
	if _, err := w.r.Reload(context.Background(), reload.TriggerStart); err != nil {
		t.Fatalf("first load: %v", err)
	}
	<-w.reloads
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.r.Watch(ctx, 20*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })
	w.waitStatus("watching", func(st reload.WatchStatus) bool { return st.Watching })
	return w
}

func (w *watchRig) waitStatus(what string, ok func(reload.WatchStatus) bool) reload.WatchStatus {
	w.t.Helper()
	deadline := time.After(testwait.Timeout)
	for {
		select {
		case st := <-w.statuses:
			if ok(st) {
				return st
			}
		case <-deadline:
			w.t.Fatalf("gave up waiting for watch status %s; now %+v", what, w.r.WatchStatus())
		}
	}
}

// waitLive waits for a watch reload that swaps in content, and fails on a
// successful watch reload of anything else first (failed ones are skipped:
// a folder in the middle of being re-created does not load).
func (w *watchRig) waitLive(content string) {
	w.t.Helper()
	deadline := time.After(testwait.Timeout)
	for {
		select {
		case ev := <-w.reloads:
			if ev.Err != nil {
				continue
			}
			got := ev.Set.Policies()[0].Version
			if got != version(content) {
				w.t.Fatalf("the watch swapped in a version %.8s... other than the one awaited, %.8s...; logs:\n%s", got, version(content), w.logs.String())
			}
			if ev.Trigger != reload.TriggerWatch {
				w.t.Fatalf("trigger %q", ev.Trigger)
			}
			return
		case <-deadline:
			w.t.Fatalf("gave up waiting for version %.8s... to go live; status %+v; logs:\n%s", version(content), w.r.WatchStatus(), w.logs.String())
		}
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rename writes content beside path and renames it into place, as a deploy
// should.
func rename(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	write(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func newFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		write(t, filepath.Join(dir, name), content)
	}
	return dir
}

func TestWatchRenameIntoPlace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, start func(string) *watchRig) {
		dir := newFolder(t, map[string]string{"checkout.yaml": policyV("80")})
		w := start(dir)
		rename(t, filepath.Join(dir, "checkout.yaml"), policyV("70"))
		w.waitLive(policyV("70"))
		write(t, filepath.Join(dir, "checkout.yaml"), policyV("60")) // written in place and closed
		w.waitLive(policyV("60"))
	})
}

func TestWatchFolderDeletedAndRecreated(t *testing.T) {
	forEachBackend(t, func(t *testing.T, start func(string) *watchRig) {
		dir := newFolder(t, map[string]string{"checkout.yaml": policyV("80")})
		w := start(dir)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		w.waitStatus("the folder missing", func(st reload.WatchStatus) bool {
			return st.Watching && strings.Contains(st.Detail, "is missing")
		})
		if w.live.Load() == nil {
			t.Fatal("deleting the folder took the live set away")
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		rename(t, filepath.Join(dir, "checkout.yaml"), policyV("70"))
		w.waitLive(policyV("70"))
		write(t, filepath.Join(dir, "checkout.yaml"), policyV("60"))
		w.waitLive(policyV("60"))
	})
}

func TestWatchFolderReplaced(t *testing.T) {
	forEachBackend(t, func(t *testing.T, start func(string) *watchRig) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "rules")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, "checkout.yaml"), policyV("80"))
		w := start(dir)
		// mv rules old && mkdir rules
		if err := os.Rename(dir, filepath.Join(parent, "old")); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		rename(t, filepath.Join(dir, "checkout.yaml"), policyV("70"))
		w.waitLive(policyV("70"))
		write(t, filepath.Join(parent, "old", "checkout.yaml"), policyV("10")) // not the rules folder any more
		write(t, filepath.Join(dir, "checkout.yaml"), policyV("60"))
		w.waitLive(policyV("60"))
	})
}

func TestWatchSymlinkedFolder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, start func(string) *watchRig) {
		parent := t.TempDir()
		for _, v := range []string{"v1", "v2"} {
			if err := os.Mkdir(filepath.Join(parent, v), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		write(t, filepath.Join(parent, "v1", "checkout.yaml"), policyV("80"))
		write(t, filepath.Join(parent, "v2", "checkout.yaml"), policyV("70"))
		link := filepath.Join(parent, "rules")
		if err := os.Symlink("v1", link); err != nil {
			t.Fatal(err)
		}
		w := start(link)
		write(t, filepath.Join(parent, "v1", "checkout.yaml"), policyV("75")) // a change behind the link
		w.waitLive(policyV("75"))
		// Swap the link atomically, as a release tool does.
		if err := os.Symlink("v2", link+".new"); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(link+".new", link); err != nil {
			t.Fatal(err)
		}
		w.waitLive(policyV("70"))
		write(t, filepath.Join(parent, "v2", "checkout.yaml"), policyV("60")) // the watch followed the link
		w.waitLive(policyV("60"))
	})
}

// TestWatchKubernetesDataSwap: a ConfigMap volume holds checkout.yaml ->
// ..data/checkout.yaml and ..data -> ..<timestamp>; an update makes a new
// timestamped folder, points ..data_tmp at it and renames it over ..data.
func TestWatchKubernetesDataSwap(t *testing.T) {
	forEachBackend(t, func(t *testing.T, start func(string) *watchRig) {
		dir := t.TempDir()
		mkRelease := func(name, content string) {
			if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, name, "checkout.yaml"), content)
		}
		mkRelease("..2026_12_01_10_00_00.1", policyV("80"))
		if err := os.Symlink("..2026_12_01_10_00_00.1", filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("..data/checkout.yaml", filepath.Join(dir, "checkout.yaml")); err != nil {
			t.Fatal(err)
		}
		w := start(dir)
		mkRelease("..2026_12_01_10_05_00.2", policyV("70"))
		if err := os.Symlink("..2026_12_01_10_05_00.2", filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(filepath.Join(dir, "..2026_12_01_10_00_00.1")); err != nil {
			t.Fatal(err)
		}
		w.waitLive(policyV("70"))
	})
}

// TestWatchBrokenChangeKeepsServing: a change that does not load is
// rejected; the previous set keeps serving and the next good change loads.
func TestWatchBrokenChangeKeepsServing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, start func(string) *watchRig) {
		dir := newFolder(t, map[string]string{"checkout.yaml": policyV("80")})
		w := start(dir)
		before := w.live.Load()
		rename(t, filepath.Join(dir, "checkout.yaml"), policyV("eighty"))
		select {
		case ev := <-w.reloads:
			if ev.Err == nil || ev.Trigger != reload.TriggerWatch || w.live.Load() != before {
				t.Fatalf("a broken change: event %+v, live changed %v", ev, w.live.Load() != before)
			}
		case <-time.After(testwait.Timeout):
			t.Fatal("the broken change was never tried")
		}
		rename(t, filepath.Join(dir, "checkout.yaml"), policyV("70"))
		w.waitLive(policyV("70"))
	})
}
