package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/api"
	"github.com/verdicthq/verdict/audit"
)

// TestContextLimits posts contexts at each limit and one past it: the one at
// the limit is decided, recorded, and read back whole by GET
// /v1/decisions/{id}, a list page and the export; the one past it is a 400
// invalid_context that names the limit, and nothing is recorded.
func TestContextLimits(t *testing.T) {
	store, err := audit.Open(context.Background(), filepath.Join(t.TempDir(), "verdict.db"), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: store, bodyLimit: 1 << 20})

	nested := func(n int) string { // n levels: the context object and n-1 inside it
		return strings.Repeat(`{"a":`, n-1) + `{"x":1}` + strings.Repeat("}", n-1)
	}
	keys := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%d`, i, i)
		}
		return b.String() + "}"
	}
	str := func(n int) string { return `{"note":"` + strings.Repeat("x", n) + `"}` }
	nestedKeys := `{"a":` + keys(500) + `,"b":` + keys(498) + `}` // 2 + 500 + 498 = 1000 keys in all

	cases := []struct {
		name, ctx string
		ok        bool
		limit     string // named in the refusal
	}{
		{"depth at the limit", nested(api.DefaultContextMaxDepth), true, ""},
		{"depth past the limit", nested(api.DefaultContextMaxDepth + 1), false, "http.context_max_depth"},
		{"array depth past the limit", `{"a":` + strings.Repeat("[", api.DefaultContextMaxDepth) + strings.Repeat("]", api.DefaultContextMaxDepth) + `}`, false, "http.context_max_depth"},
		{"keys at the limit", keys(api.DefaultContextMaxKeys), true, ""},
		{"nested keys at the limit", nestedKeys, true, ""},
		{"keys past the limit", keys(api.DefaultContextMaxKeys + 1), false, "http.context_max_keys"},
		{"string at the limit", str(api.DefaultContextMaxString), true, ""},
		{"string past the limit", str(api.DefaultContextMaxString + 1), false, "http.context_max_string"},
		{"key past the limit", `{"` + strings.Repeat("k", api.DefaultContextMaxString+1) + `":1}`, false, "http.context_max_string"},
		{"nested 10,000 deep", nested(10_000), false, "http.context_max_depth"},
	}
	accepted := map[string]string{} // decision id -> context sent
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := h.do(req{method: http.MethodPost, path: "/v1/decisions", key: keyCheckout, ctype: "application/json",
				body: `{"session_id":"t-allow","context":` + c.ctx + `}`})
			if !c.ok {
				if res.status != 400 || res.errorCode(t) != "invalid_context" || !strings.Contains(string(res.body), c.limit) {
					t.Fatalf("got %d, want 400 invalid_context naming %s: %.300s", res.status, c.limit, res.body)
				}
				return
			}
			if res.status != 200 {
				t.Fatalf("status %d: %.300s", res.status, res.body)
			}
			id, _ := res.json(t)["decision_id"].(string)
			accepted[id] = c.ctx
			got := h.do(req{method: http.MethodGet, path: "/v1/decisions/" + id, key: keyAuditor})
			if got.status != 200 {
				t.Fatalf("GET: %d %.300s", got.status, got.body)
			}
			var tr audit.Trace
			if err := json.Unmarshal(got.body, &tr); err != nil || tr.Unreadable != "" {
				t.Fatalf("GET: %v %q", err, tr.Unreadable)
			}
			if !jsonEqual(t, tr.Context, []byte(c.ctx)) {
				t.Fatalf("GET: context differs from the one sent")
			}
		})
	}
	if len(accepted) != 4 {
		t.Fatalf("%d contexts accepted, want 4", len(accepted))
	}
	t.Run("list", func(t *testing.T) {
		res := h.do(req{method: http.MethodGet, path: "/v1/decisions?limit=10", key: keyAuditor})
		var page audit.Page
		if err := json.Unmarshal(res.body, &page); err != nil || res.status != 200 {
			t.Fatalf("%d %v", res.status, err)
		}
		if len(page.Traces) != len(accepted) {
			t.Fatalf("%d traces listed, want %d (nothing refused is recorded)", len(page.Traces), len(accepted))
		}
		for _, tr := range page.Traces {
			if tr.Unreadable != "" || !jsonEqual(t, tr.Context, []byte(accepted[tr.ID])) {
				t.Fatalf("trace %s listed unreadable or changed: %q", tr.ID, tr.Unreadable)
			}
		}
	})
	t.Run("export", func(t *testing.T) {
		var buf bytes.Buffer
		n, unreadable, err := audit.ExportJSONL(context.Background(), store, time.Time{}, time.Time{}, &buf)
		if err != nil || n != int64(len(accepted)) || unreadable != 0 {
			t.Fatalf("export: %d traces, %d unreadable, %v", n, unreadable, err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			var tr audit.Trace
			if err := json.Unmarshal(line, &tr); err != nil || !jsonEqual(t, tr.Context, []byte(accepted[tr.ID])) {
				t.Fatalf("exported line does not read back: %v", err)
			}
		}
	})
}

// TestUnreadableTraceServed: a trace stored before the limits existed (a
// context nested 10,000 deep) comes back from GET and from the list as its
// unreadable entry, beside the readable ones, and is counted.
func TestUnreadableTraceServed(t *testing.T) {
	store, err := audit.Open(context.Background(), filepath.Join(t.TempDir(), "verdict.db"), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: store})
	ok := h.decide(`{"session_id":"t-allow"}`)
	if ok.status != 200 {
		t.Fatalf("decide: %d", ok.status)
	}
	bad := &audit.Trace{ID: "0193e6a0-0000-7000-8000-0000000000bd", DecidedAt: time.Now().UTC().Add(-time.Minute).Truncate(time.Microsecond),
		SessionID: "old", ReportStatus: "ok", Outcome: "allow", Reason: "default", Report: []byte(`{"session_id":"old"}`),
		Context: json.RawMessage(strings.Repeat(`{"a":`, 10_000) + "1" + strings.Repeat("}", 10_000))}
	if err := store.Append(context.Background(), bad); err != nil {
		t.Fatal(err)
	}
	got := h.do(req{method: http.MethodGet, path: "/v1/decisions/" + bad.ID, key: keyAuditor})
	if got.status != 200 || !strings.Contains(string(got.body), `"unreadable":`) || !strings.Contains(string(got.body), bad.ID) {
		t.Fatalf("GET: %d %.300s", got.status, got.body)
	}
	list := h.do(req{method: http.MethodGet, path: "/v1/decisions", key: keyAuditor})
	var page struct{ Traces []map[string]any }
	if err := json.Unmarshal(list.body, &page); err != nil || list.status != 200 || len(page.Traces) != 2 {
		t.Fatalf("list: %d %v %.300s", list.status, err, list.body)
	}
	if page.Traces[1]["id"] != bad.ID || page.Traces[1]["unreadable"] == nil || page.Traces[0]["unreadable"] != nil {
		t.Fatalf("list: %v", page.Traces)
	}
	metrics := h.do(req{method: http.MethodGet, path: "/metrics"})
	if !strings.Contains(string(metrics.body), "verdict_decision_log_unreadable_traces_total 2") {
		t.Fatalf("unreadable traces not counted:\n%s", metrics.body)
	}
}
