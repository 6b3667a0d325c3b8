package reload

// UseFSNotify makes r watch through fsnotify, the backend of other systems,
// so its path is tested on Linux too.
func UseFSNotify(r *Reloader) { r.newBackend = newFSNotifyBackend }
