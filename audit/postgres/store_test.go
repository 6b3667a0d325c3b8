package postgres_test

import (
	"context"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/audit/audittest"
	_ "github.com/verdicthq/verdict/audit/postgres"
)

// newSchema returns a URL for a fresh schema in the test database, dropped
// at cleanup, so parallel runs never share tables.
func newSchema(t testing.TB) string {
	t.Helper()
	base := baseURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to VERDICT_TEST_POSTGRES_URL: %v", err)
	}
	defer conn.Close(ctx)
	schema := "verdict_test_" + sanitize(audit.NewID())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
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

// baseURL is VERDICT_TEST_POSTGRES_URL; without it the test is skipped, saying how to run it.
func baseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("VERDICT_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("PostgreSQL store tests are off: set VERDICT_TEST_POSTGRES_URL, e.g. " +
			"VERDICT_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' (.ci/run sets it)")
	}
	return base
}

// sanitize keeps [a-z0-9_] so the schema name needs no quoting.
func sanitize(s string) string {
	out := make([]byte, 0, len(s))
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			out = append(out, c)
		}
	}
	return string(out)
}

func TestConformance(t *testing.T) {
	baseURL(t)
	audittest.Run(t, func(t *testing.T) string { return newSchema(t) })
}
