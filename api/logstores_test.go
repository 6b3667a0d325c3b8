package api_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/postgres"
	_ "github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/internal/audittest"
)

// logBackend opens a fresh, empty decision log.
type logBackend struct {
	name string
	open func(t *testing.T) audit.Store
}

// logBackends are the stores the decision-log tests run against: SQLite
// always, PostgreSQL when VERDICT_TEST_POSTGRES_URL is set (each test in a
// fresh schema, dropped at cleanup).
func logBackends() []logBackend {
	bs := []logBackend{{name: "sqlite", open: func(t *testing.T) audit.Store {
		return openLog(t, filepath.Join(t.TempDir(), "verdict.db"))
	}}}
	if base := audittest.PostgresURL(); base != "" {
		bs = append(bs, logBackend{name: "postgres", open: func(t *testing.T) audit.Store {
			return openLog(t, audittest.PostgresSchema(t, base))
		}})
	}
	return bs
}

// openLog opens a store and closes it at cleanup.
func openLog(t *testing.T, dbURL string) audit.Store {
	t.Helper()
	s, err := audit.Open(context.Background(), dbURL, audit.Options{})
	if err != nil {
		t.Fatalf("open decision log: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
