package api

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
)

var queryNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestFilterFromQuery(t *testing.T) {
	cases := []struct {
		name    string
		query   string
		want    audit.Filter
		wantErr bool
	}{
		{name: "empty", query: "", want: audit.Filter{Limit: audit.DefaultLimit}},
		{name: "every filter", query: "session_id=s1&user_id=u1&outcome=deny&rule=very-high-risk&policy_version=abc&since=2026-11-01T00:00:00Z&until=2026-11-02&limit=10",
			want: audit.Filter{SessionID: "s1", UserID: "u1", Outcome: "deny", Rule: "very-high-risk", PolicyVersion: "abc",
				Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Limit: 10}},
		{name: "since in days", query: "since=7d", want: audit.Filter{Since: queryNow.Add(-7 * 24 * time.Hour), Limit: audit.DefaultLimit}},
		{name: "since as duration", query: "since=90m", want: audit.Filter{Since: queryNow.Add(-90 * time.Minute), Limit: audit.DefaultLimit}},
		{name: "time with offset", query: "since=2026-11-01T01:00:00%2B01:00", want: audit.Filter{Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Limit: audit.DefaultLimit}},
		{name: "unknown parameter", query: "sesion_id=s1", wantErr: true},
		{name: "repeated parameter", query: "outcome=deny&outcome=allow", wantErr: true},
		{name: "bad outcome", query: "outcome=block", wantErr: true},
		{name: "bad time", query: "since=yesterday", wantErr: true},
		{name: "limit zero", query: "limit=0", wantErr: true},
		{name: "limit too large", query: "limit=1001", wantErr: true},
		{name: "limit not a number", query: "limit=ten", wantErr: true},
		{name: "bad cursor", query: "cursor=***", wantErr: true},
		{name: "since after until", query: "since=2026-11-02&until=2026-11-01", wantErr: true},
		{name: "days past what a duration holds", query: "since=200000d", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := url.ParseQuery(c.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := filterFromQuery(q, queryNow)
			if c.wantErr {
				if !errors.Is(err, audit.ErrInvalid) {
					t.Fatalf("error %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if !got.Since.Equal(c.want.Since) || !got.Until.Equal(c.want.Until) {
				t.Fatalf("since/until %v/%v, want %v/%v", got.Since, got.Until, c.want.Since, c.want.Until)
			}
			got.Since, got.Until, c.want.Since, c.want.Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// FuzzFilterFromQuery: any query string gives a filter or ErrInvalid, never a panic.
//
//	go test ./api -run '^$' -fuzz FuzzFilterFromQuery -fuzztime 30s
func FuzzFilterFromQuery(f *testing.F) {
	for _, seed := range []string{"", "session_id=s&limit=10", "since=7d&until=2026-11-01", "cursor=MTIzLmFiYw",
		"outcome=deny&rule=x", "limit=-1", "since=-5d", "cursor=%00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := filterFromQuery(q, queryNow)
		if err == nil && (flt.Limit < 1 || flt.Limit > audit.MaxLimit) {
			t.Fatalf("accepted limit %d", flt.Limit)
		}
	})
}
