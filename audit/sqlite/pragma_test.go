package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/audit"
)

// TestDurabilitySettings checks what the durability argument rests on: the
// writer runs in WAL mode with synchronous=FULL (2), and readers cannot write.
func TestDurabilitySettings(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "log.db"), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var mode string
	var sync int
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v; want wal", mode, err)
	}
	if err := s.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Fatalf("synchronous %d, %v; want 2 (FULL)", sync, err)
	}
	if _, err := s.r.ExecContext(ctx, "DELETE FROM traces"); err == nil {
		t.Fatal("a reader connection could write")
	}
}
