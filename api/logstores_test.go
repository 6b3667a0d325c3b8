package api_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/postgres"
	_ "github.com/verdicthq/verdict/audit/sqlite"
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
	if base := os.Getenv("VERDICT_TEST_POSTGRES_URL"); base != "" {
		bs = append(bs, logBackend{name: "postgres", open: func(t *testing.T) audit.Store {
			return openLog(t, freshSchema(t, base))
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

// freshSchema creates a schema in the test database and returns a URL that
// uses it; the schema is dropped at cleanup.
func freshSchema(t *testing.T, base string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to VERDICT_TEST_POSTGRES_URL: %v", err)
	}
	defer conn.Close(ctx)
	schema := "verdict_api_test_" + strings.ReplaceAll(audit.NewID(), "-", "")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("VERDICT_TEST_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
