package main

import (
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/config"
)

func TestDisplayURLHidesPasswords(t *testing.T) {
	cases := []struct{ in, want string }{
		{"data/verdict.db", "data/verdict.db"},
		{"sqlite:///var/lib/verdict/verdict.db", "sqlite:///var/lib/verdict/verdict.db"},
		{"postgres://verdict:s3cret@db:5432/verdict?sslmode=require&password=x", "postgres://verdict@db:5432/verdict"},
		{"postgresql://db/verdict", "postgresql://db/verdict"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := displayURL(tc.in); got != tc.want {
				t.Fatalf("displayURL(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestDefaultDatabaseURLsAgree: serve's default log and the one `verdict
// audit export` and `verdict replay` read by default are the same file.
func TestDefaultDatabaseURLsAgree(t *testing.T) {
	if config.DefaultDatabaseURL != audit.DefaultDatabaseURL {
		t.Fatalf("config default %q, audit default %q", config.DefaultDatabaseURL, audit.DefaultDatabaseURL)
	}
}
