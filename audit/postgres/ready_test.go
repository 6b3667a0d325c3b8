package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/audit/audittest"
	"github.com/verdicthq/verdict/internal/testwait"
)

// TestPingTellsWhetherTheLogCanWrite (issue 10): Ping, which /readyz runs,
// fails within 5 s when PostgreSQL is gone or refuses writes, says why, and
// passes again once writes succeed.
func TestPingTellsWhetherTheLogCanWrite(t *testing.T) {
	base := audittest.RequirePostgres(t)
	dbURL, db := audittest.PostgresDatabase(t, base)
	s := audittest.MustOpen(t, dbURL, audit.Options{})
	ctx := context.Background()
	terminate := "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db + "' AND pid <> pg_backend_pid()"
	audittest.MustAppend(t, s, audittest.SampleTrace(0))

	steps := []struct {
		name    string
		admin   []string
		wantErr string // "" for a log that can write
		appends bool   // whether an append works in this state
	}{
		{"healthy", nil, "", true},
		{"server gone: connections refused and cut", []string{
			"ALTER DATABASE " + db + " ALLOW_CONNECTIONS false", terminate}, "ping postgres", false},
		{"back", []string{"ALTER DATABASE " + db + " ALLOW_CONNECTIONS true"}, "", true},
		{"read-only", []string{"ALTER DATABASE " + db + " SET default_transaction_read_only = on", terminate},
			"read-only", false},
		{"writable again", []string{"ALTER DATABASE " + db + " RESET default_transaction_read_only", terminate}, "", true},
		{"database dropped", []string{"DROP DATABASE " + db + " WITH (FORCE)"}, "ping postgres", false},
	}
	for i, st := range steps {
		audittest.PostgresExec(t, base, st.admin...)
		if !st.appends {
			if err := s.Append(ctx, audittest.SampleTrace(100+i)); err == nil {
				t.Fatalf("%s: an append succeeded", st.name)
			}
		}
		// Within 5 s: a connection the server cut may answer one more ping
		// with an error before the pool replaces it.
		var err error
		testwait.For(5*time.Second, func() bool {
			err = s.Ping(ctx)
			return (err == nil) == (st.wantErr == "") && (err == nil || strings.Contains(err.Error(), st.wantErr))
		})
		switch {
		case st.wantErr == "" && err != nil:
			t.Fatalf("%s: Ping: %v, want nil", st.name, err)
		case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
			t.Fatalf("%s: Ping: %v, want an error with %q", st.name, err, st.wantErr)
		}
		t.Logf("%s: Ping: %v", st.name, err)
		if st.appends { // the pool may still hold a connection the server cut
			var err error
			testwait.For(5*time.Second, func() bool { err = s.Append(ctx, audittest.SampleTrace(100+i)); return err == nil })
			if err != nil {
				t.Fatalf("%s: Ping passes but appends fail: %v", st.name, err)
			}
		}
	}
}
