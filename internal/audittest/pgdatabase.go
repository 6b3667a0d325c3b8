package audittest

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
)

// PostgresDatabase creates a fresh database on the server at base, for tests
// that make the decision log's database go away or refuse writes (a schema
// cannot), and returns its URL and its name. The database is dropped at
// cleanup, connections or not.
func PostgresDatabase(t testing.TB, base string) (dbURL, name string) {
	t.Helper()
	name = "verdict_test_" + sanitize(audit.NewID())
	PostgresExec(t, base, "CREATE DATABASE "+name)
	t.Cleanup(func() { PostgresExec(t, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String(), name
}

// PostgresExec runs administrative statements on the server at base, on a
// connection of their own, failing the test on the first error.
func PostgresExec(t testing.TB, base string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer conn.Close(ctx)
	for _, stmt := range stmts {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}
