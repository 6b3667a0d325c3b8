package postgres

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
)

// TestSessionSettings checks what the durability argument rests on: every
// session commits with synchronous_commit=on even when the URL asks for off,
// and a read-only store's sessions refuse writes.
func TestSessionSettings(t *testing.T) {
	base := os.Getenv("VERDICT_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("set VERDICT_TEST_POSTGRES_URL to run the PostgreSQL tests (.ci/run sets it)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := "verdict_test_" + strings.ReplaceAll(audit.NewID(), "-", "")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()

	for _, ro := range []bool{false, true} { // read-write first: it creates the schema
		s, err := Open(ctx, u.String(), audit.Options{ReadOnly: ro})
		if err != nil {
			t.Fatalf("open (read-only %v): %v", ro, err)
		}
		var sync, readOnly string
		if err := s.pool.QueryRow(ctx, "SELECT current_setting('synchronous_commit'), current_setting('default_transaction_read_only')").Scan(&sync, &readOnly); err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{false: "off", true: "on"}[ro]
		if sync != "on" || readOnly != want {
			t.Errorf("read-only %v: synchronous_commit %s, default_transaction_read_only %s; want on, %s", ro, sync, readOnly, want)
		}
		_, err = s.pool.Exec(ctx, "DELETE FROM traces")
		if ro && err == nil {
			t.Error("a read-only store's session could write")
		}
		s.Close()
	}
}
