//go:build !linux

package reload

// newBackend is fsnotify outside Linux.
func newBackend() (backend, error) { return newFSNotifyBackend() }
