package sqlite

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/verdicthq/verdict/audit"
)

// FileName is the log's file name when the URL names a folder.
const FileName = "verdict.db"

func init() {
	audit.Register("sqlite", func(ctx context.Context, url string, opts audit.Options) (audit.Store, error) {
		return Open(ctx, url, opts)
	})
}

// Store is the SQLite decision log. It implements audit.Store.
type Store struct {
	path     string
	w        *sql.DB // the one writer connection; nil when read-only
	r        *sql.DB // readers
	batch    *audit.Batcher
	readOnly bool
	inserts  *inserts           // the batches' multi-row INSERTs
	hasher   *audit.ChainHasher // the writer's (commits run one at a time)
	key      ed25519.PrivateKey // signs retention checkpoints; nil: unsigned
	mask     *audit.Mask        // masks searches by masked fields

	// LoopSQL is the review queue and the fraud labels (audit.Reviews, audit.Labels).
	*audit.LoopSQL
}

var (
	_ audit.Store             = (*Store)(nil)
	_ audit.RowSource         = (*Store)(nil)
	_ audit.PolicyLog         = (*Store)(nil)
	_ audit.CheckpointLog     = (*Store)(nil)
	_ audit.Reviews           = (*Store)(nil)
	_ audit.Labels            = (*Store)(nil)
	_ audit.PerformanceReader = (*Store)(nil)
	_ audit.Outbox            = (*Store)(nil)
)

// Path turns a database URL (a path, sqlite://PATH or file:PATH) into a file
// path; a path naming an existing folder means FileName inside it.
func Path(dbURL string) (string, error) {
	p := dbURL
	switch {
	case strings.HasPrefix(p, "sqlite://"):
		p = strings.TrimPrefix(p, "sqlite://")
	case strings.HasPrefix(p, "file:"):
		p = strings.TrimPrefix(strings.TrimPrefix(p, "file:"), "//")
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" {
		return "", fmt.Errorf("%w: no file path in the database URL", audit.ErrInvalid)
	}
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		p = filepath.Join(p, FileName)
	}
	return filepath.Abs(p)
}

// dsn builds a modernc.org/sqlite URI for the file. Every connection waits up
// to 10 s on a lock; WAL (set by migrate: setJournal) and synchronous=FULL
// make a commit durable once it returns.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		// Statement and savepoint journals (a batch's multi-row INSERTs
		// under a savepoint) in memory rather than in a temporary file:
		// they only undo within a transaction, the WAL stays the durable
		// record.
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Set("_txlock", "immediate")
	}
	q.Add("_pragma", "synchronous(FULL)")
	if readOnly {
		// Readers map the file (up to SQLite's limit, 2 GiB: address
		// space, not memory) instead of a read(2) per page: a verify or
		// export pass over traces of a few KB each reads a page or more a
		// trace, and past the mapped part every page costs a system call.
		q.Add("_pragma", "mmap_size(2147418112)")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating it when missing, unless read-only) the SQLite log that
// dbURL names and brings its schema up to date.
func Open(ctx context.Context, dbURL string, opts audit.Options) (*Store, error) {
	path, err := Path(dbURL)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, readOnly: opts.ReadOnly, hasher: audit.NewChainHasher(), key: opts.CheckpointKey, mask: opts.Mask}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open %s read-only: %w", path, err)
		}
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("create folder for %s: %w", path, err)
		}
		if s.w, err = sql.Open("sqlite", dsn(path, false)); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		s.w.SetMaxOpenConns(1)
		s.w.SetConnMaxIdleTime(0)
		if err := migrateWaiting(ctx, s.w); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("migrate %s: %w", path, err)
		}
		if s.inserts, err = prepareInserts(ctx, s.w); err != nil {
			s.w.Close()
			return nil, err
		}
	}
	if s.r, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	s.r.SetMaxOpenConns(4)
	if err := s.r.PingContext(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	s.LoopSQL = s.newLoop()
	if opts.ReadOnly {
		if err := checkVersion(ctx, s.r); err != nil {
			s.closeDBs()
			return nil, fmt.Errorf("open %s read-only: %w", path, err)
		}
	} else {
		s.batch = audit.NewBatcher(s.commit, opts.MaxBatchOrDefault(), 1, 30*time.Second)
		s.batch.Mask = opts.Mask
	}
	return s, nil
}

// File is the path of the database file.
func (s *Store) File() string { return s.path }

// Ping checks that the file can be read and, unless the store is read-only,
// written: a batch committed within audit.WriteTrust, or a write probe (see
// probeWrite) that commits now. A log that cannot write (disk full, file-size
// limit, permissions) fails it with the reason, and passes again once a
// write succeeds.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.path, err)
	}
	if s.batch == nil {
		return nil
	}
	if err := s.batch.CheckWrite(ctx, s.probeWrite); err != nil {
		return fmt.Errorf("decision log %s: %w", s.path, err)
	}
	return nil
}

// probeWrite commits a write that changes no data: it sets the header's
// user_version (unused by verdict) to 0, which SQLite writes, as a page of
// the write-ahead log with its fsync, even when the value is unchanged — the
// same path, and about the size, of a trace's commit.
func (s *Store) probeWrite(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `PRAGMA user_version = 0`); err != nil {
		return fmt.Errorf("write probe: %w", err)
	}
	return nil
}

// Close commits the pending appends, then closes the database.
func (s *Store) Close() error {
	if s.batch != nil {
		s.batch.Close()
	}
	return s.closeDBs()
}

// closeDBs closes the readers, then the writer: SQLite checkpoints the
// write-ahead log into the database file and removes the -wal and -shm files
// only when the last connection to close can write.
func (s *Store) closeDBs() error {
	var first error
	for _, db := range []*sql.DB{s.r, s.w} {
		if db == nil {
			continue
		}
		if err := db.Close(); err != nil && first == nil {
			first = fmt.Errorf("close %s: %w", s.path, err)
		}
	}
	return first
}

// busyWait bounds how long Open retries a migration refused with
// SQLITE_BUSY, as the connections' busy_timeout bounds a lock wait.
const busyWait = 10 * time.Second

// migrateWaiting runs migrate, retrying while SQLite answers SQLITE_BUSY at
// once: while another connection turns a fresh file to WAL, opening a
// connection or beginning a transaction can fail so without calling the
// busy handler, as processes (or goroutines) opening one new log together
// do.
func migrateWaiting(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyWait)
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		err := migrate(ctx, db)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqliteBusy || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// sqliteBusy is SQLITE_BUSY, the primary result code of a lock not had.
const sqliteBusy = 5
