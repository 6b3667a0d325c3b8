package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/audit/audittest"
	"github.com/verdicthq/verdict/audit/sqlite"
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
