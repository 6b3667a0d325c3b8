package reload

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch reloads the policy set when anything in the rules folder (or a
// folder below it) changes, after debounce of quiet, so an editor's burst
// of writes makes one reload. It blocks until ctx ends.
func (r *Reloader) Watch(ctx context.Context, debounce time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		err = fmt.Errorf("watch %s: %w", r.dir, err)
		r.setWatch(WatchStatus{Detail: err.Error()})
		return err
	}
	defer w.Close()
	if err := addTree(w, r.dir); err != nil {
		err = fmt.Errorf("watch %s: %w", r.dir, err)
		r.setWatch(WatchStatus{Detail: err.Error()})
		return err
	}
	r.setWatch(WatchStatus{Watching: true, Detail: "watching " + r.dir})
	defer r.setWatch(WatchStatus{Detail: "stopped"})
	r.log.Info().Str("rules_dir", r.dir).Dur("debounce", debounce).Msg("watching the rules folder for changes")

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if ev.Op.Has(fsnotify.Create) {
				_ = addTree(w, ev.Name) // a new sub-folder; a file is ignored by addTree
			}
			timer.Reset(debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			r.log.Warn().Err(err).Str("rules_dir", r.dir).Msg("rules folder watcher error")
		case <-timer.C:
			_, _ = r.Reload(ctx, TriggerWatch) // logged and counted inside
		}
	}
}

// addTree watches root and every folder below it.
func addTree(w *fsnotify.Watcher, root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return w.Add(path)
		}
		return nil
	})
}
