package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/internal/audittest"
)

func TestConformance(t *testing.T) {
	audittest.Run(t, func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "decisions.db")
	})
}

func TestPath(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, url, want string
	}{
		{"plain path", filepath.Join(dir, "a.db"), filepath.Join(dir, "a.db")},
		{"sqlite URL", "sqlite://" + filepath.Join(dir, "b.db"), filepath.Join(dir, "b.db")},
		{"file URI with query", "file:" + filepath.Join(dir, "c.db") + "?cache=shared", filepath.Join(dir, "c.db")},
		{"existing folder", dir, filepath.Join(dir, sqlite.FileName)},
		{"sqlite URL of a folder", "sqlite://" + dir, filepath.Join(dir, sqlite.FileName)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := sqlite.Path(c.url)
			if err != nil || got != c.want {
				t.Fatalf("Path(%q) = %q, %v; want %q", c.url, got, err, c.want)
			}
		})
	}
	if _, err := sqlite.Path("sqlite://"); err == nil {
		t.Fatal("Path of an empty sqlite URL: no error")
	}
}

func TestOpenCreatesFolderAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "nested", "verdict.db")
	s, err := audit.Open(context.Background(), "sqlite://"+path, audit.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
}

func TestReadOnlyOpenOfMissingFileFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.db")
	if _, err := audit.Open(context.Background(), path, audit.Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a missing file: no error")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("read-only open created the file: %v", err)
	}
}

// TestCloseLeavesNoWAL: a clean Close checkpoints the write-ahead log into
// the database file and removes the -wal and -shm files, so a stopped
// service leaves one file to copy or archive. SQLite does that only when the
// last connection to close can write, so the readers must close first.
func TestCloseLeavesNoWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "verdict.db")
	s := audittest.MustOpen(t, path, audit.Options{})
	tr := audittest.SampleTrace(1)
	audittest.MustAppend(t, s, tr)
	if _, err := s.Get(context.Background(), tr.ID); err != nil {
		t.Fatalf("read back before close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); !os.IsNotExist(err) {
			t.Errorf("%s%s still there after Close (stat: %v)", filepath.Base(path), suffix, err)
		}
	}
	r := audittest.MustOpen(t, path, audit.Options{ReadOnly: true})
	defer r.Close()
	if _, err := r.Get(context.Background(), tr.ID); err != nil {
		t.Fatalf("the trace is not in the database file after Close: %v", err)
	}
}

// TestTamper: rows changed or deleted in the SQLite file behind verdict's
// back are found by verify at the decision changed, or where one was removed.
func TestTamper(t *testing.T) {
	audittest.RunTamper(t, func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "decisions.db")
	}, func(t *testing.T, url, stmt string) {
		db, err := sql.Open("sqlite", url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		res, err := db.Exec(stmt)
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s: %d rows", stmt, n)
		}
	})
}

// TestMask: masked fields never reach the SQLite file or its write-ahead
// log, read while the store is open and after it closed.
func TestMask(t *testing.T) {
	audittest.RunMask(t, func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "decisions.db")
	}, func(t *testing.T, url string) []byte {
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(url + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	})
}
