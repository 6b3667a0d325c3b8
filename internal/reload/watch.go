package reload

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// retryEvery is how often a watch that could not be set up (or lost its
// folder) is tried again.
const retryEvery = 2 * time.Second

// Watch reloads the policy set when a policy file in the rules folder
// changes, after debounce of quiet, so an editor's burst of writes makes one
// reload. It blocks until ctx ends, and always returns nil then.
//
// A file still open for writing never goes live: on Linux the reload waits
// for the writer to close it (or for a rename into place); elsewhere, and
// whenever events were lost, it waits until the files have not changed for
// a settle time (Options.Settle). The watch survives the
// folder being deleted and re-created, replaced (mv rules old && mkdir
// rules), or being a symlink that is swapped (the Kubernetes ..data swap
// included): it watches the folder above too, and follows the link again.
// While watching is impossible, WatchStatus, OnWatch and the log say why,
// and it retries every few seconds; SIGHUP and the API still reload.
func (r *Reloader) Watch(ctx context.Context, debounce time.Duration) error {
	w, err := newWatcher(r, ctx, debounce)
	if err != nil {
		r.setWatchLogged(WatchStatus{Detail: err.Error()})
		return nil
	}
	defer w.stop()
	retry := time.NewTicker(r.retry)
	defer retry.Stop()
	w.establish()
	for {
		var evs <-chan event
		var errs <-chan error
		if w.be != nil {
			evs, errs = w.be.events(), w.be.errors()
		}
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-evs:
			if !ok {
				w.lose("the file watcher stopped")
				continue
			}
			w.handle(ev)
		case err := <-errs:
			r.log.Warn().Err(err).Str("rules_dir", r.dir).Msg("rules folder watcher error")
		case <-retry.C:
			if w.be == nil || !w.parentOK || w.target == "" {
				w.establish()
			}
		case <-w.timer.C:
			w.fire()
		}
	}
}

// watcher is the state of one Watch.
type watcher struct {
	r        *Reloader
	ctx      context.Context
	debounce time.Duration
	settle   time.Duration
	path     string // the rules folder as configured, absolute (maybe a symlink)
	parent   string // the folder holding it
	be       backend
	parentOK bool            // parent is watched
	target   string          // the folder the files are in (path resolved); "" while it is missing
	once     bool            // establish ran once (later set-ups may have missed changes)
	writing  map[string]bool // files written to and not closed yet (close-write backends)
	dirty    bool            // a change not loaded yet
	verify   bool            // the next load waits for the files to be stable
	snap     map[string]stamp
	held     string // the last hold logged, so each is logged once
	timer    *time.Timer
}

// stamp is what stability compares of a policy file.
type stamp struct {
	size  int64
	mtime time.Time
	mode  os.FileMode
}

func newWatcher(r *Reloader, ctx context.Context, debounce time.Duration) (*watcher, error) {
	abs, err := filepath.Abs(r.dir)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", r.dir, err)
	}
	t := time.NewTimer(time.Hour)
	t.Stop()
	settle := r.settle
	if settle <= 0 {
		settle = max(2*debounce, 2*time.Second)
	}
	return &watcher{r: r, ctx: ctx, debounce: debounce, settle: settle,
		path: abs, parent: filepath.Dir(abs), writing: map[string]bool{}, timer: t}, nil
}

func (w *watcher) stop() {
	w.timer.Stop()
	if w.be != nil {
		_ = w.be.close()
	}
	w.r.setWatchQuiet(WatchStatus{Detail: "stopped"})
}

// establish sets up what is missing: the backend, the parent's watch, the
// folder's. Anything set up after the first time may have missed changes,
// so it is followed by a verified reload.
func (w *watcher) establish() {
	later := w.once // not the first try: changes may have been missed since
	w.once = true
	if w.be == nil {
		be, err := w.r.newBackend()
		if err != nil {
			w.r.setWatchLogged(WatchStatus{Detail: fmt.Sprintf("cannot watch %s: %v", w.r.dir, err)})
			return
		}
		w.be = be
	}
	if !w.parentOK {
		if err := w.be.add(w.parent); err != nil {
			w.r.setWatchLogged(WatchStatus{Detail: fmt.Sprintf("cannot watch %s, the folder holding the rules folder: %v", w.parent, err)})
			return
		}
		w.parentOK = true
	}
	if changed := w.retarget(); changed && later {
		w.changed(true)
	}
}

// retarget resolves the rules folder again (it may be a swapped symlink, or
// re-created) and watches what it now is. It reports whether that changed.
func (w *watcher) retarget() bool {
	t, err := filepath.EvalSymlinks(w.path)
	if err == nil {
		if st, serr := os.Stat(t); serr != nil || !st.IsDir() {
			err = fmt.Errorf("%s is not a folder", t)
		}
	}
	if err != nil {
		t = ""
	}
	missing := WatchStatus{Watching: true, Detail: fmt.Sprintf("the rules folder %s is missing; watching %s for it to come back", w.r.dir, w.parent)}
	if t == w.target {
		if t == "" {
			w.r.setWatchLogged(missing) // still missing: no change, nothing to load
		}
		return false
	}
	if w.target != "" {
		_ = w.be.remove(w.target)
	}
	w.target, w.writing = "", map[string]bool{}
	if t == "" {
		w.r.setWatchLogged(missing)
		return true
	}
	if err := w.be.add(t); err != nil {
		w.r.setWatchLogged(WatchStatus{Detail: fmt.Sprintf("cannot watch %s: %v", t, err)})
		return true
	}
	w.target = t
	detail := "watching " + t
	if t != w.path {
		detail += " (" + w.r.dir + " resolved)"
	}
	w.r.setWatchLogged(WatchStatus{Watching: true, Detail: detail})
	return true
}

// lose drops the backend after it failed; establish tries again later.
func (w *watcher) lose(why string) {
	if w.be != nil {
		_ = w.be.close()
	}
	w.be, w.parentOK, w.target = nil, false, ""
	w.r.setWatchLogged(WatchStatus{Detail: why})
}

// handle applies one event.
func (w *watcher) handle(ev event) {
	switch {
	case ev.op == opOverflow:
		w.writing = map[string]bool{}
		w.changed(true)
	case ev.op == opGone && ev.path == w.parent:
		_ = w.be.remove(w.parent) // a moved folder keeps its watch: drop it
		w.parentOK = false
		w.r.setWatchLogged(WatchStatus{Detail: fmt.Sprintf("%s, the folder holding the rules folder, is gone", w.parent)})
		if w.retarget() {
			w.changed(true)
		}
	case ev.op == opGone && ev.path == w.target:
		_ = w.be.remove(w.target) // moved away (mv rules old), it would keep reporting under the old name
		w.target = ""
		w.retarget()
		w.changed(true)
	case filepath.Dir(ev.path) == w.parent && filepath.Base(ev.path) == filepath.Base(w.path):
		if w.retarget() { // the folder (or the link to it) was created, removed, renamed or swapped
			w.changed(true)
		}
	case w.target != "" && filepath.Dir(ev.path) == w.target:
		name := filepath.Base(ev.path)
		if !engine.IsPolicyFile(name) && !strings.HasPrefix(name, "..") { // editor swap files; ..data is Kubernetes'
			return
		}
		switch ev.op {
		case opWrite:
			if w.be.closeWrite() {
				w.writing[ev.path] = true
				w.changed(false)
			} else {
				w.changed(true)
			}
		default: // closed after writing, moved in whole, created, removed
			delete(w.writing, ev.path)
			w.changed(!w.be.closeWrite())
		}
	}
}

// changed notes a change to load after the debounce; verify makes that load
// wait for the files to be stable.
func (w *watcher) changed(verify bool) {
	w.dirty = true
	w.verify = w.verify || verify
	w.timer.Reset(w.debounce)
}

// fire runs when the folder has been quiet for the debounce (or the settle
// time): it loads, unless a file is still open for writing or, when the load
// must be verified, the files changed since the last look.
func (w *watcher) fire() {
	if !w.dirty {
		return
	}
	if len(w.writing) > 0 {
		names := make([]string, 0, len(w.writing))
		for p := range w.writing {
			names = append(names, filepath.Base(p))
		}
		sort.Strings(names)
		if msg := strings.Join(names, ", "); msg != w.held {
			w.held = msg
			w.r.log.Info().Str("rules_dir", w.r.dir).Strs("files", names).
				Msg("policy reload waits: a policy file is still open for writing (deploy by atomic rename)")
			if w.r.onHold != nil {
				w.r.onHold(names)
			}
		}
		return // its close (or removal) fires again
	}
	w.held = ""
	if w.verify {
		snap := w.snapshot()
		if w.snap == nil || !sameSnapshot(snap, w.snap) {
			w.snap = snap
			w.timer.Reset(w.settle)
			return
		}
	}
	w.snap, w.verify, w.dirty = nil, false, false
	_, _ = w.r.Reload(w.ctx, TriggerWatch) // logged and counted inside
}

// snapshot stamps the policy files of the folder.
func (w *watcher) snapshot() map[string]stamp {
	out := map[string]stamp{}
	entries, err := os.ReadDir(w.r.dir)
	if err != nil {
		return out
	}
	for _, e := range entries {
		if !engine.IsPolicyFile(e.Name()) {
			continue
		}
		if st, err := os.Stat(filepath.Join(w.r.dir, e.Name())); err == nil {
			out[e.Name()] = stamp{size: st.Size(), mtime: st.ModTime(), mode: st.Mode()}
		}
	}
	return out
}

func sameSnapshot(a, b map[string]stamp) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
