package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
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
		// Right away: the pool's connections the server cut are replaced,
		// not failed on.
		if err := s.Append(ctx, audittest.SampleTrace(100+i)); (err == nil) != st.appends {
			t.Fatalf("%s: append: %v, want success %v", st.name, err, st.appends)
		}
		err := s.Ping(ctx) // at once, not only within the 5 s promised
		switch {
		case st.wantErr == "" && err != nil:
			t.Fatalf("%s: Ping: %v, want nil", st.name, err)
		case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
			t.Fatalf("%s: Ping: %v, want an error with %q", st.name, err, st.wantErr)
		}
		t.Logf("%s: Ping: %v", st.name, err)
	}
}
