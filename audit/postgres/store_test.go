package postgres_test

import (
	"testing"

	"github.com/verdicthq/verdict/audit/audittest"
	_ "github.com/verdicthq/verdict/audit/postgres"
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
