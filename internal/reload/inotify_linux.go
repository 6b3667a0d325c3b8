//go:build linux

package reload

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// inotifyMask is what a watched folder reports: its entries appearing,
// leaving, being written and closed after writing, and the folder itself
// going away. IN_ONLYDIR refuses a path that is not a folder.
const inotifyMask = syscall.IN_CREATE | syscall.IN_DELETE | syscall.IN_MODIFY | syscall.IN_CLOSE_WRITE |
	syscall.IN_MOVED_FROM | syscall.IN_MOVED_TO | syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF | syscall.IN_ONLYDIR

// inotifyBackend is the Linux backend, over the inotify system calls. Its
// file descriptor is non-blocking and read through the runtime poller, so
// close unblocks the reader at once.
type inotifyBackend struct {
	fd     int // for add and remove; never f.Fd(), which would make f blocking
	f      *os.File
	evs    chan event
	errs   chan error
	done   chan struct{}
	mu     sync.Mutex
	byWD   map[int32]string // watch descriptor -> folder
	byDir  map[string]int32
	closed sync.Once
	wg     sync.WaitGroup
}

func newInotifyBackend() (backend, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	b := &inotifyBackend{fd: fd, f: os.NewFile(uintptr(fd), "inotify"), evs: make(chan event, 64), errs: make(chan error, 1),
		done: make(chan struct{}), byWD: map[int32]string{}, byDir: map[string]int32{}}
	b.wg.Add(1)
	go b.read()
	return b, nil
}

func (b *inotifyBackend) add(dir string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	wd, err := syscall.InotifyAddWatch(b.fd, dir, inotifyMask)
	if err != nil {
		return fmt.Errorf("inotify_add_watch %s: %w", dir, err)
	}
	if old, ok := b.byWD[int32(wd)]; ok && old != dir {
		delete(b.byDir, old) // the same folder under another name (a symlink): one watch
	}
	b.byWD[int32(wd)], b.byDir[dir] = dir, int32(wd)
	return nil
}

func (b *inotifyBackend) remove(dir string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	wd, ok := b.byDir[dir]
	if !ok {
		return nil
	}
	delete(b.byDir, dir)
	delete(b.byWD, wd)
	if _, err := syscall.InotifyRmWatch(b.fd, uint32(wd)); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("inotify_rm_watch %s: %w", dir, err)
	}
	return nil
}

func (b *inotifyBackend) events() <-chan event { return b.evs }
func (b *inotifyBackend) errors() <-chan error { return b.errs }
func (b *inotifyBackend) closeWrite() bool     { return true }

func (b *inotifyBackend) close() error {
	var err error
	b.closed.Do(func() {
		close(b.done)
		err = b.f.Close() // unblocks read
		b.wg.Wait()
	})
	return err
}

// read decodes inotify records until the descriptor is closed.
func (b *inotifyBackend) read() {
	defer b.wg.Done()
	defer close(b.evs)
	buf := make([]byte, 64<<10)
	for {
		n, err := b.f.Read(buf)
		if err != nil {
			select {
			case <-b.done:
			default:
				select {
				case b.errs <- fmt.Errorf("read inotify events: %w", err):
				default:
				}
			}
			return
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			wd := int32(binary.NativeEndian.Uint32(buf[off:]))
			mask := binary.NativeEndian.Uint32(buf[off+4:])
			nameLen := int(binary.NativeEndian.Uint32(buf[off+12:]))
			start := off + syscall.SizeofInotifyEvent
			end := min(start+nameLen, n)
			name := string(trimNUL(buf[start:end]))
			off = end
			if ev, ok := b.decode(wd, mask, name); ok {
				select {
				case b.evs <- ev:
				case <-b.done:
					return
				}
			}
		}
	}
}

// decode turns one inotify record into an event.
func (b *inotifyBackend) decode(wd int32, mask uint32, name string) (event, bool) {
	if mask&syscall.IN_Q_OVERFLOW != 0 {
		return event{op: opOverflow}, true
	}
	b.mu.Lock()
	dir, ok := b.byWD[wd]
	if ok && mask&syscall.IN_IGNORED != 0 { // the watch is gone (its folder deleted, or removed by us)
		delete(b.byWD, wd)
		if b.byDir[dir] == wd {
			delete(b.byDir, dir)
		}
	}
	b.mu.Unlock()
	if !ok {
		return event{}, false
	}
	isDir := mask&syscall.IN_ISDIR != 0
	path := filepath.Join(dir, name)
	switch {
	case mask&(syscall.IN_DELETE_SELF|syscall.IN_MOVE_SELF|syscall.IN_IGNORED) != 0:
		return event{path: dir, op: opGone, dir: true}, true
	case mask&syscall.IN_CREATE != 0:
		return event{path: path, op: opCreate, dir: isDir}, true
	case mask&syscall.IN_MOVED_TO != 0:
		return event{path: path, op: opMovedIn, dir: isDir}, true
	case mask&syscall.IN_DELETE != 0:
		return event{path: path, op: opRemove, dir: isDir}, true
	case mask&syscall.IN_MOVED_FROM != 0:
		return event{path: path, op: opMovedOut, dir: isDir}, true
	case mask&syscall.IN_MODIFY != 0:
		return event{path: path, op: opWrite}, true
	case mask&syscall.IN_CLOSE_WRITE != 0:
		return event{path: path, op: opCloseWrite}, true
	}
	return event{}, false
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// newBackend is inotify on Linux, for its close-after-write events.
func newBackend() (backend, error) { return newInotifyBackend() }
