package audit_test

import (
	"net/url"
	"testing"

	"github.com/verdicthq/verdict/audit"
)

// FuzzFilterFromQuery: any query string gives a filter or ErrInvalid, never a panic.
//
//	go test ./audit -run '^$' -fuzz FuzzFilterFromQuery -fuzztime 30s
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
		flt, err := audit.FilterFromQuery(q, now)
		if err == nil && (flt.Limit < 1 || flt.Limit > audit.MaxLimit) {
			t.Fatalf("accepted limit %d", flt.Limit)
		}
	})
}
