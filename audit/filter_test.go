package audit_test

import (
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestCursorRoundTrip(t *testing.T) {
	tr := &audit.Trace{ID: "0193a4f2-7c1e-7abc-8def-0123456789ab", DecidedAt: time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC)}
	c, err := audit.DecodeCursor(audit.EncodeCursor(tr))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if c.ID != tr.ID || !c.DecidedAt.Equal(tr.DecidedAt) {
		t.Fatalf("cursor %+v, want %s at %v", c, tr.ID, tr.DecidedAt)
	}
}

func TestScheme(t *testing.T) {
	for url, want := range map[string]string{
		"postgres://u@h/db":   "postgres",
		"postgresql://u@h/db": "postgres",
		"sqlite:///var/x.db":  "sqlite",
		"file:/var/x.db":      "sqlite",
		"/var/lib/verdict":    "sqlite",
		"data/verdict.db":     "sqlite",
		"mysql://u@h/db":      "mysql",
	} {
		if got := audit.Scheme(url); got != want {
			t.Errorf("Scheme(%q) = %q, want %q", url, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	cases := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "2026-11-01T01:00:00+01:00", want: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{in: "2026-11-02", want: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)},
		{in: "7d", want: now.Add(-7 * 24 * time.Hour)},
		{in: "90m", want: now.Add(-90 * time.Minute)},
		{in: "yesterday", wantErr: true},
		{in: "-5d", wantErr: true},
		{in: "-1h", wantErr: true},
		{in: "200000d", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := audit.ParseTime(c.in, now)
			if (err != nil) != c.wantErr || !got.Equal(c.want) {
				t.Fatalf("ParseTime(%q) = %v, %v; want %v, error %v", c.in, got, err, c.want, c.wantErr)
			}
		})
	}
}
