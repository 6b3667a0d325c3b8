package config

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"data/verdict.db", "data/verdict.db"},
		{"/var/lib/verdict/100%.db", "/var/lib/verdict/100%.db"},
		{"sqlite:///var/lib/verdict/verdict.db", "sqlite:///var/lib/verdict/verdict.db"},
		{"postgres://verdict:s3cret@db:5432/verdict", "postgres://verdict:xxxxx@db:5432/verdict"},
		{"postgres://verdict@db/verdict?sslmode=require&password=s3cret", "postgres://verdict@db/verdict?password=xxxxx&sslmode=require"},
		{"postgresql://db/verdict?sslpassword=s3cret&search_path=audit", "postgresql://db/verdict?search_path=audit&sslpassword=xxxxx"},
		{"https://u:s3cret@api.poh.org/rt", "https://u:xxxxx@api.poh.org/rt"},
		{"https://api.poh.org/?api_key=s3cret&region=eu", "https://api.poh.org/?api_key=xxxxx&region=eu"},
		{"https://api.poh.org/?Token=s3cret", "https://api.poh.org/?Token=xxxxx"},
		{"https://u:s3cret@host:notaport", "https://[unparsable URL]"},
		{"postgres://u:s3cret@db/x%zz", "postgres://[unparsable URL]"},
		{"u:s3cret@db://x%zz", "[unparsable URL]"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := RedactURL(tt.in)
			if got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Errorf("the secret survives: %q", got)
			}
		})
	}
}
