package api

import (
	"errors"
	"fmt"
	"sync"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/engine"
)

// Reload triggers, as the reload metric and logs name them.
const (
	TriggerStart  = "start"  // the first load at start-up
	TriggerWatch  = "watch"  // a file changed in the rules folder
	TriggerSIGHUP = "sighup" // the process got SIGHUP
	TriggerAPI    = "api"    // POST /v1/policies/reload
)

// Reloader loads the rules folder into a new policy set and swaps it into
// the Live holder. Loading and compiling happen on the caller's goroutine,
// never on a request's; a set that fails to load is rejected whole and the
// old set keeps serving. Reloads are serialized.
type Reloader struct {
	dir     string
	live    *engine.Live
	log     zerolog.Logger
	metrics *Metrics
	load    func(dir string) (*engine.Set, error)

	mu sync.Mutex
}

// NewReloader returns a Reloader of dir into live, loading with
// engine.LoadDir.
func NewReloader(dir string, live *engine.Live, log zerolog.Logger, m *Metrics) *Reloader {
	return &Reloader{dir: dir, live: live, log: log, metrics: m, load: engine.LoadDir}
}

// Dir is the rules folder.
func (r *Reloader) Dir() string { return r.dir }

// Reload loads and compiles the folder; on success it swaps the new set in
// and returns it. On failure the live set is untouched and the error (an
// engine.LoadErrors when the policies are at fault) is logged and returned.
func (r *Reloader) Reload(trigger string) (*engine.Set, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	set, err := r.load(r.dir)
	if err == nil && set == nil {
		err = errors.New("the loader returned no set")
	}
	if err != nil {
		err = fmt.Errorf("load policies from %s: %w", r.dir, err)
		r.metrics.observeReload(trigger, nil, err)
		ev := r.log.Error().Str("trigger", trigger).Str("rules_dir", r.dir)
		var les engine.LoadErrors
		if errors.As(err, &les) {
			msgs := make([]string, len(les))
			for i, le := range les {
				msgs[i] = le.Error()
			}
			ev = ev.Strs("load_errors", msgs)
		} else {
			ev = ev.Err(err)
		}
		if r.live.Load() != nil {
			ev.Msg("policy reload rejected: the previous policy set keeps serving")
		} else {
			ev.Msg("policy load failed: no policy set is serving")
		}
		return nil, err
	}
	r.live.Store(set)
	r.metrics.observeReload(trigger, set, nil)
	ev := r.log.Info().Str("trigger", trigger).Str("rules_dir", r.dir).Int("policies", len(set.Policies()))
	for _, p := range set.Policies() {
		ev = ev.Str("policy."+p.Name, shortVersion(p.Version))
	}
	ev.Msg("policy set loaded")
	return set, nil
}

func shortVersion(v string) string {
	if len(v) > 12 {
		return v[:12]
	}
	return v
}
