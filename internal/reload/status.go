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

// setWatch records a new status and reports whether it changed.
func (r *Reloader) setWatch(s WatchStatus) bool {
	r.watch.mu.Lock()
	defer r.watch.mu.Unlock()
	changed := r.watch.status != s
	r.watch.status = s
	return changed
}

// setWatchQuiet records a new status and tells OnWatch, without a log line
// (Watch stopping on shutdown).
func (r *Reloader) setWatchQuiet(s WatchStatus) {
	if r.setWatch(s) && r.onWatch != nil {
		r.onWatch(s)
	}
}

// setWatchLogged records a new status and, when it changed, logs it (an
// error while watching is impossible, since changes go unseen; reloads still
// work by SIGHUP and the API) and then tells OnWatch.
func (r *Reloader) setWatchLogged(s WatchStatus) {
	if !r.setWatch(s) {
		return
	}
	if s.Watching {
		r.log.Info().Str("rules_dir", r.dir).Str("detail", s.Detail).Msg("watching the rules folder for changes")
	} else {
		r.log.Error().Str("rules_dir", r.dir).Str("detail", s.Detail).
			Msg("policy file watching is off: changes in the rules folder are not picked up; SIGHUP and POST /v1/policies/reload still reload")
	}
	if r.onWatch != nil {
		r.onWatch(s)
	}
}
