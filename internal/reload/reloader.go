package reload

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// Reload triggers, as the reload metric and logs name them.
const (
	TriggerStart  = "start"  // the first load at start-up
	TriggerWatch  = "watch"  // a file changed in the rules folder
	TriggerSIGHUP = "sighup" // the process got SIGHUP
	TriggerAPI    = "api"    // POST /v1/policies/reload
)

// Event is the outcome of one reload attempt.
type Event struct {
	Trigger string        // one of the Trigger constants
	Set     *engine.Set   // the set swapped in; nil on failure
	Err     error         // why the attempt failed; nil on success
	Took    time.Duration // how long loading took
	// KeyID names the API key that asked for the reload (audit.WithKeyID
	// on Reload's context); empty for other triggers.
	KeyID string
}

// Options configures a Reloader. Dir and Live are required.
type Options struct {
	Dir    string         // the rules folder
	Live   *engine.Live   // the holder the new set is swapped into
	Logger zerolog.Logger // reload and watch lines
	// OnReload, when set, is called after every attempt (metrics).
	OnReload func(Event)
	// OnWatch, when set, is called whenever the watch status changes.
	OnWatch func(WatchStatus)
	// OnHold, when set, is called when Watch holds a reload back because
	// the named files are still open for writing.
	OnHold func(files []string)
	// Settle is how long Watch waits for the files to stay unchanged before
	// a load it cannot otherwise trust (no close-after-write events, lost
	// events, a re-created folder). Default: twice the debounce, at least 2 s.
	Settle time.Duration
	// Retry is how often Watch tries again to set up a watch it could not
	// (default 2 s).
	Retry time.Duration
	// Load loads a folder into a set; default LoadDir (safe reads).
	Load func(dir string) (*engine.Set, error)
	// Prepare, when set, readies what a loaded set needs before it goes
	// live: its file-backed lists read, its new counters backfilled from the
	// decision log. An error rejects the set, as a load error does.
	Prepare func(ctx context.Context, set *engine.Set) error
}

// Reloader loads the rules folder into a new policy set and swaps it into
// the Live holder. Loading and compiling happen on the caller's goroutine,
// never on a request's; reloads are serialized.
type Reloader struct {
	dir      string
	live     *engine.Live
	log      zerolog.Logger
	onReload func(Event)
	onWatch  func(WatchStatus)
	onHold   func([]string)
	settle   time.Duration
	retry    time.Duration
	// newBackend makes the file watcher (inotify or fsnotify); tests replace it.
	newBackend func() (backend, error)
	load       func(dir string) (*engine.Set, error)
	prepare    func(ctx context.Context, set *engine.Set) error

	turn  chan struct{} // one token: the reload holding it runs
	watch watchState
}

// New returns a Reloader for opts.
func New(opts Options) *Reloader {
	r := &Reloader{dir: opts.Dir, live: opts.Live, log: opts.Logger, onReload: opts.OnReload, onWatch: opts.OnWatch,
		onHold: opts.OnHold, settle: opts.Settle, retry: opts.Retry, newBackend: newBackend, load: opts.Load, prepare: opts.Prepare,
		turn: make(chan struct{}, 1)}
	if r.retry <= 0 {
		r.retry = retryEvery
	}
	if r.load == nil {
		r.load = LoadDir
	}
	r.turn <- struct{}{}
	return r
}

// Dir is the rules folder.
func (r *Reloader) Dir() string { return r.dir }

// Reload loads and compiles the folder; on success it swaps the new set in
// and returns it. On failure the live set is untouched and the error (an
// engine.LoadErrors when the policies are at fault) is logged and returned.
// While another reload runs, Reload waits for it, up to ctx's end: then it
// returns an error wrapping ctx.Err() and loads nothing.
func (r *Reloader) Reload(ctx context.Context, trigger string) (*engine.Set, error) {
	select {
	case <-r.turn:
	case <-ctx.Done():
		return nil, fmt.Errorf("reload policies from %s: another reload is still running: %w", r.dir, ctx.Err())
	}
	defer func() { r.turn <- struct{}{} }()
	start := time.Now()
	set, err := r.load(r.dir)
	if err == nil && set == nil {
		err = errors.New("the loader returned no set")
	}
	if err == nil && r.prepare != nil {
		if perr := r.prepare(ctx, set); perr != nil {
			err = fmt.Errorf("prepare the new set: %w", perr)
		}
	}
	took := time.Since(start)
	if err != nil {
		err = fmt.Errorf("load policies from %s: %w", r.dir, err)
		r.report(Event{Trigger: trigger, Err: err, Took: took, KeyID: audit.KeyIDFrom(ctx)})
		r.logFailure(trigger, err)
		return nil, err
	}
	r.live.Store(set)
	r.report(Event{Trigger: trigger, Set: set, Took: took, KeyID: audit.KeyIDFrom(ctx)})
	r.logSuccess(trigger, set, took)
	return set, nil
}

func (r *Reloader) report(ev Event) {
	if r.onReload != nil {
		r.onReload(ev)
	}
}

func (r *Reloader) logFailure(trigger string, err error) {
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
}

// logSuccess logs one summary line and one line per policy with its
// policy_name and policy_version fields, so a log query finds a version by
// field, whatever the policy's name.
func (r *Reloader) logSuccess(trigger string, set *engine.Set, took time.Duration) {
	policies := set.Policies()
	r.log.Info().Str("trigger", trigger).Str("rules_dir", r.dir).Int("policies", len(policies)).Dur("took", took).
		Msg("policy set loaded")
	for _, p := range policies {
		r.log.Info().Str("trigger", trigger).Str("policy_name", p.Name).Str("policy_version", p.Version).
			Str("policy_mode", p.Mode).Str("file", p.File).Msg("policy loaded")
	}
}
