package reload

import "sync"

// WatchStatus says whether the rules folder is being watched for changes.
type WatchStatus struct {
	// Watching is true while changes in the folder trigger reloads.
	Watching bool
	// Detail says why not when Watching is false ("off" when watching was
	// never asked for), and what is watched when it is true.
	Detail string
}

// watchState holds the current WatchStatus.
type watchState struct {
	mu     sync.Mutex
	status WatchStatus
}

// WatchStatus returns whether the folder is watched now, and why not.
func (r *Reloader) WatchStatus() WatchStatus {
	r.watch.mu.Lock()
	defer r.watch.mu.Unlock()
	if r.watch.status == (WatchStatus{}) {
		return WatchStatus{Detail: "off"}
	}
	return r.watch.status
}

// setWatch records a new status and reports a change to OnWatch.
func (r *Reloader) setWatch(s WatchStatus) {
	r.watch.mu.Lock()
	changed := r.watch.status != s
	r.watch.status = s
	r.watch.mu.Unlock()
	if changed && r.onWatch != nil {
		r.onWatch(s)
	}
}
