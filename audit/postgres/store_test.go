package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	_ "github.com/verdicthq/verdict/audit/postgres"
	"github.com/verdicthq/verdict/internal/audittest"
)

// newSchema returns a URL for a fresh schema in the test database, dropped
// at cleanup; without VERDICT_TEST_POSTGRES_URL the test is skipped.
func newSchema(t testing.TB) string {
	t.Helper()
	return audittest.PostgresSchema(t, audittest.RequirePostgres(t))
}

func TestConformance(t *testing.T) {
	audittest.RequirePostgres(t)
	audittest.Run(t, func(t *testing.T) string { return newSchema(t) })
}

// TestTamper: rows changed or deleted in PostgreSQL behind verdict's back
// are found by verify at the decision changed, or where one was removed.
func TestTamper(t *testing.T) {
	audittest.RequirePostgres(t)
	audittest.RunTamper(t, func(t *testing.T) string { return newSchema(t) }, func(t *testing.T, url, stmt string) {
		audittest.PostgresExec(t, url, stmt)
	})
}

// TestMask: masked fields never reach a PostgreSQL row.
func TestMask(t *testing.T) {
	audittest.RequirePostgres(t)
	audittest.RunMask(t, func(t *testing.T) string { return newSchema(t) }, func(t *testing.T, url string) []byte {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var all []byte
		for _, table := range []string{"traces", "trace_rules"} {
			rows, err := conn.Query(ctx, `SELECT t::text, encode(convert_to(t::text, 'UTF8'), 'escape') FROM `+table+` t`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var a, b string
				if err := rows.Scan(&a, &b); err != nil {
					t.Fatal(err)
				}
				all = append(all, a+b...)
			}
			rows.Close()
		}
		// the report column as bytes, not as bytea's hex text
		rows, err := conn.Query(ctx, `SELECT report FROM traces`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	})
}
