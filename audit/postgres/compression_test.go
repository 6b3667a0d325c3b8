package postgres

import (
	"context"
	"testing"

	"github.com/verdicthq/verdict/audit"

	"github.com/verdicthq/verdict/internal/audittest"
)

// TestCompression: after the migrations, a stored trace's body is
// compressed with lz4 when the server has it, and reads back unchanged;
// the application_name a URL sets is kept.
func TestCompression(t *testing.T) {
	ctx := context.Background()
	url := audittest.PostgresSchema(t, audittest.RequirePostgres(t)) + "&application_name=verdict-replica-7"
	s, err := Open(ctx, url, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var lz4 bool
	var app string
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)),
		current_setting('application_name')`).Scan(&lz4, &app); err != nil {
		t.Fatal(err)
	}
	if app != "verdict-replica-7" {
		t.Errorf("application_name %q, want the URL's verdict-replica-7", app)
	}
	tr := audittest.SampleTrace(1)
	if err := s.Append(ctx, tr); err != nil {
		t.Fatal(err)
	}
	var method *string
	if err := s.pool.QueryRow(ctx, `SELECT pg_column_compression(body) FROM traces WHERE id = $1`, tr.ID).Scan(&method); err != nil {
		t.Fatal(err)
	}
	want := map[bool]string{true: "lz4", false: "pglz"}[lz4]
	if method == nil || *method != want {
		t.Errorf("body compressed with %v, want %s (server has lz4: %v)", deref(method), want, lz4)
	}
	got, err := s.Get(ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != tr.ID || string(got.Report) != string(tr.Report) {
		t.Errorf("read back %s with report %q, want %s with %q", got.ID, got.Report, tr.ID, tr.Report)
	}
}

func deref(s *string) string {
	if s == nil {
		return "(not compressed)"
	}
	return *s
}
