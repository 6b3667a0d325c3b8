package main

import (
	"testing"
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
