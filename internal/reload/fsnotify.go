package reload

import (
	"fmt"
	"os"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// fsnotifyBackend is the backend outside Linux (and, in tests, on Linux
// too). fsnotify does not report a close after writing, so written files
// count as complete once stable.
type fsnotifyBackend struct {
	w    *fsnotify.Watcher
	evs  chan event
	quit chan struct{} // closed by close: translate stops sending
	done chan struct{} // closed when translate has returned
	mu   sync.Mutex
	dirs map[string]bool // the watched folders, to tell their own removal apart
}

func newFSNotifyBackend() (backend, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("fsnotify: %w", err)
	}
	b := &fsnotifyBackend{w: w, evs: make(chan event, 64), quit: make(chan struct{}), done: make(chan struct{}), dirs: map[string]bool{}}
	go b.translate()
	return b, nil
}

func (b *fsnotifyBackend) add(dir string) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("watch %s: not a folder", dir)
	}
	b.mu.Lock()
	b.dirs[dir] = true
	b.mu.Unlock()
	return b.w.Add(dir)
}

func (b *fsnotifyBackend) remove(dir string) error {
	b.mu.Lock()
	delete(b.dirs, dir)
	b.mu.Unlock()
	_ = b.w.Remove(dir)
	return nil
}

func (b *fsnotifyBackend) events() <-chan event { return b.evs }
func (b *fsnotifyBackend) errors() <-chan error { return b.w.Errors }
func (b *fsnotifyBackend) closeWrite() bool     { return false }

func (b *fsnotifyBackend) close() error {
	close(b.quit) // translate may be blocked handing over an event nobody reads now
	err := b.w.Close()
	<-b.done
	return err
}

// translate maps fsnotify's events to the backend's.
func (b *fsnotifyBackend) translate() {
	defer close(b.done)
	defer close(b.evs)
	for ev := range b.w.Events {
		var e event
		switch {
		case ev.Op.Has(fsnotify.Remove) || ev.Op.Has(fsnotify.Rename):
			e = event{path: ev.Name, op: opRemove}
			b.mu.Lock()
			watched := b.dirs[ev.Name]
			b.mu.Unlock()
			if watched {
				e.op, e.dir = opGone, true
			}
		case ev.Op.Has(fsnotify.Create):
			st, err := os.Lstat(ev.Name)
			e = event{path: ev.Name, op: opCreate, dir: err == nil && st.IsDir()}
		case ev.Op.Has(fsnotify.Write):
			e = event{path: ev.Name, op: opWrite}
		default:
			continue
		}
		select {
		case b.evs <- e:
		case <-b.quit:
			for range b.w.Events { // let fsnotify's reader finish so Close returns
			}
			return
		}
	}
}
