package reload

// op is what happened to a path in a watched folder.
type op uint8

const (
	opCreate     op = iota + 1 // an entry appeared (created, or moved in where moves are not told apart)
	opMovedIn                  // an entry was renamed into the folder: it arrives whole
	opRemove                   // an entry was deleted
	opMovedOut                 // an entry was renamed away
	opWrite                    // a file was written to (it may still be open)
	opCloseWrite               // a file open for writing was closed
	opGone                     // the watched folder itself was deleted or moved
	opOverflow                 // events were lost: the folder's state is unknown
)

// event is one change seen by a backend. path is the entry's path (the
// watched folder joined with its name), or the folder itself for opGone;
// empty for opOverflow.
type event struct {
	path string
	op   op
	dir  bool // the entry is a folder (where the backend knows)
}

// backend watches folders, one level deep, and reports events. The Linux
// backend talks to inotify directly, so it can report opCloseWrite; the
// other one is fsnotify, which cannot.
type backend interface {
	add(dir string) error    // watch one folder (not recursive)
	remove(dir string) error // stop watching it
	events() <-chan event
	errors() <-chan error
	close() error
	// closeWrite reports whether opCloseWrite is delivered; without it, a
	// written file counts as complete once it has been stable for a while.
	closeWrite() bool
}
