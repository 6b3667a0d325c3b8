package audittest

import (
	"context"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
)

// PostgresEnv names the variable holding the test PostgreSQL database URL.
const PostgresEnv = "VERDICT_TEST_POSTGRES_URL"

// PostgresURL returns the test PostgreSQL URL from PostgresEnv, or "" when
// PostgreSQL tests are off.
func PostgresURL() string { return os.Getenv(PostgresEnv) }

// RequirePostgres returns the test PostgreSQL URL; without one the test is
// skipped, saying how to run it.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	if base == "" {
		t.Skip("PostgreSQL store tests are off: set " + PostgresEnv + ", e.g. " +
			PostgresEnv + "='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' (.ci/run sets it)")
	}
	return base
}

// PostgresSchema creates a fresh schema in the database at base and returns
// a URL that uses it, so parallel runs never share tables; the schema is
// dropped at cleanup.
func PostgresSchema(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
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
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
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
