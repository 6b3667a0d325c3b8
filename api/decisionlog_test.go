package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

// traceView is the part of a GET /v1/decisions/{id} answer the tests read.
type traceView struct {
	ID           string          `json:"id"`
	KeyID        string          `json:"key_id"`
	SessionID    string          `json:"session_id"`
	UserID       string          `json:"user_id"`
	Context      json.RawMessage `json:"context"`
	Report       json.RawMessage `json:"report"`
	ReportStatus string          `json:"report_status"`
	Policy       struct{ Name, Version string }
	Outcome      string `json:"outcome"`
	FiredRules   []struct {
		ID string `json:"id"`
	} `json:"fired_rules"`
	Shadow *struct {
		Policy  struct{ Name, Version string }
		Outcome string `json:"outcome"`
	} `json:"shadow"`
	MonitorOnly    bool            `json:"monitor_only"`
	WouldBeOutcome string          `json:"would_be_outcome"`
	Answer         json.RawMessage `json:"answer"`
	Timings        struct {
		TotalMS float64 `json:"total_ms"`
	} `json:"timings"`
}

// page is a GET /v1/decisions answer.
type page struct {
	Traces     []traceView `json:"traces"`
	NextCursor string      `json:"next_cursor"`
}

func (h *harness) audit(path string) *result {
	h.t.Helper()
	return h.do(req{method: "GET", path: path, key: keyAuditor})
}

func (h *harness) decideIdem(key, body string) *result {
	h.t.Helper()
	return h.do(req{method: "POST", path: "/v1/decisions", key: keyCheckout, ctype: "application/json", body: body,
		header: map[string]string{"Idempotency-Key": key}})
}

func decodeInto[T any](t *testing.T, r *result) T {
	t.Helper()
	var v T
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode: %v\n%s", err, r.body)
	}
	return v
}

// TestDecisionLog runs the log's routes and guarantees over real HTTP
// against each real store.
func TestDecisionLog(t *testing.T) {
	for _, b := range logBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Run("trace by id", func(t *testing.T) { testTraceByID(t, b) })
			t.Run("list filters and pages", func(t *testing.T) { testListDecisions(t, b) })
			t.Run("idempotent retries", func(t *testing.T) { testIdempotentRetries(t, b) })
			t.Run("monitor only", func(t *testing.T) { testMonitorOnly(t, b) })
			t.Run("log failure is a 503", func(t *testing.T) { testLogFailure(t, b) })
		})
	}
}

func testTraceByID(t *testing.T, b logBackend) {
	store := b.open(t)
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: store})
	res := h.decide(`{"session_id":"t-deny","context":{"amount":120.5,"currency":"EUR"}}`)
	d := res.decision(t)

	got := h.audit("/v1/decisions/" + d.DecisionID)
	tr := decodeInto[traceView](t, got)
	raw, err := os.ReadFile("testdata/reports/t-deny.json")
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case tr.ID != d.DecisionID || tr.SessionID != "t-deny" || tr.KeyID != "checkout" || tr.UserID != "user-t-deny":
		t.Fatalf("trace ids: %s", got.body)
	case tr.Outcome != "deny" || tr.Policy.Name != d.Policy.Name || tr.Policy.Version != d.Policy.Version || tr.Policy.Version == "":
		t.Fatalf("trace decision %+v, answer %+v", tr, d)
	case !jsonEqual(t, tr.Report, raw):
		t.Fatalf("trace report %s, want %s", tr.Report, raw)
	case string(tr.Context) != `{"amount":120.5,"currency":"EUR"}`:
		t.Fatalf("trace context %s", tr.Context)
	case len(tr.FiredRules) == 0 || tr.Timings.TotalMS <= 0:
		t.Fatalf("trace fired rules or timings missing: %s", got.body)
	case !bytes.Equal(tr.Answer, res.body):
		t.Fatalf("trace answer\n%s\nwant\n%s", tr.Answer, res.body)
	}
	// The shadow policy matched checkout-flow: its decision is in the trace.
	if tr.Shadow == nil || tr.Shadow.Policy.Name != "shadow-checkout" || tr.Shadow.Outcome != "deny" {
		t.Fatalf("shadow not recorded: %s", got.body)
	}
	// The stored report is the bytes Roundtable sent, untouched.
	st, err := store.Get(context.Background(), d.DecisionID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(st.Report, raw) {
		t.Fatalf("stored report is not byte-exact:\n%s\nwant\n%s", st.Report, raw)
	}

	missing := h.audit("/v1/decisions/0193e6a0-0000-7000-8000-000000000000")
	if missing.status != 404 || missing.errorCode(t) != "not_found" {
		t.Fatalf("absent id: %d %s", missing.status, missing.body)
	}
	if r := h.do(req{method: "GET", path: "/v1/decisions/" + d.DecisionID, key: keyCheckout}); r.status != 403 {
		t.Fatalf("decide key read the log: %d", r.status)
	}
	// The shadow metric names both policies.
	metrics := string(h.do(req{method: "GET", path: "/metrics"}).body)
	if !strings.Contains(metrics, `verdict_shadow_decisions_total{agree="true",live_policy="checkout",outcome="deny",shadow_policy="shadow-checkout"} 1`) {
		t.Fatalf("shadow agreement not counted")
	}
	ready := h.do(req{method: "GET", path: "/readyz"})
	if ready.status != 200 || !strings.Contains(string(ready.body), `"decision_log":"ok"`) {
		t.Fatalf("readyz: %d %s", ready.status, ready.body)
	}
}

func testListDecisions(t *testing.T, b logBackend) {
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: b.open(t)})
	bySession := map[string][]string{}
	var all []string
	for _, s := range []string{"t-allow", "t-deny", "t-review", "t-deny", "t-allow", "t-deny", "t-mobile"} {
		d := h.decide(fmt.Sprintf(`{"session_id":%q}`, s)).decision(t)
		bySession[s] = append(bySession[s], d.DecisionID)
		all = append(all, d.DecisionID)
	}
	newestFirst := func(ids []string) []string {
		out := append([]string(nil), ids...)
		sort.Sort(sort.Reverse(sort.StringSlice(out))) // UUIDv7s sort by time
		return out
	}
	idsOf := func(p page) []string {
		out := make([]string, len(p.Traces))
		for i, tr := range p.Traces {
			out[i] = tr.ID
		}
		return out
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"", newestFirst(all)},
		{"?session_id=t-deny", newestFirst(bySession["t-deny"])},
		{"?outcome=deny", newestFirst(append(bySession["t-deny"], bySession["t-mobile"]...))}, // the mobile policy denies t-mobile
		{"?outcome=allow&session_id=t-allow", newestFirst(bySession["t-allow"])},
		{"?rule=high-risk-score", newestFirst(bySession["t-deny"])},
		{"?user_id=user-t-review", bySession["t-review"]},
		{"?since=1h&until=2999-01-01T00:00:00Z", newestFirst(all)},
		{"?until=2000-01-01", nil},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			got := idsOf(decodeInto[page](t, h.audit("/v1/decisions"+tc.query)))
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v\nwant %v", got, tc.want)
			}
		})
	}
	t.Run("policy_version", func(t *testing.T) {
		v := decodeInto[traceView](t, h.audit("/v1/decisions/"+all[0])).Policy.Version
		got := idsOf(decodeInto[page](t, h.audit("/v1/decisions?policy_version="+v)))
		if len(got) < 6 || len(idsOf(decodeInto[page](t, h.audit("/v1/decisions?policy_version=nope")))) != 0 {
			t.Fatalf("policy_version %s: %v", v, got)
		}
	})
	t.Run("pages of 3 cover everything once", func(t *testing.T) {
		var got []string
		path := "/v1/decisions?limit=3"
		for n := 0; n < 10; n++ {
			p := decodeInto[page](t, h.audit(path))
			got = append(got, idsOf(p)...)
			if p.NextCursor == "" {
				break
			}
			// A decision made between pages is newer than the cursor: the
			// next pages stay as they were.
			h.decide(`{"session_id":"t-allow"}`).decision(t)
			path = "/v1/decisions?limit=3&cursor=" + p.NextCursor
		}
		if strings.Join(got, ",") != strings.Join(newestFirst(all), ",") {
			t.Fatalf("paged %v\nwant %v", got, newestFirst(all))
		}
	})
	for _, bad := range []string{"?outcome=maybe", "?limit=0", "?limit=x", "?since=yesterday", "?cursor=garbage", "?sesion_id=t-deny", "?outcome=deny&outcome=allow"} {
		t.Run("400 "+bad, func(t *testing.T) {
			r := h.audit("/v1/decisions" + bad)
			if r.status != 400 || r.errorCode(t) != "invalid_query" {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
}

func testIdempotentRetries(t *testing.T, b logBackend) {
	store := b.open(t)
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: store})
	body := `{"session_id":"t-review","context":{"amount":5}}`
	first := h.decideIdem("order-1", body)
	d := first.decision(t)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("first answer says replayed")
	}
	again := h.decideIdem("order-1", body)
	if again.status != 200 || again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.body, first.body) {
		t.Fatalf("retry: %d %q\n%s\nwant\n%s", again.status, again.header.Get("Idempotent-Replayed"), again.body, first.body)
	}
	conflict := h.decideIdem("order-1", `{"session_id":"t-deny"}`)
	if conflict.status != 409 || conflict.errorCode(t) != "idempotency_conflict" {
		t.Fatalf("other body: %d %s", conflict.status, conflict.body)
	}
	// Keys are per caller: another key may use the same Idempotency-Key.
	other := h.do(req{method: "POST", path: "/v1/decisions", key: keyAll, ctype: "application/json", body: body,
		header: map[string]string{"Idempotency-Key": "order-1"}}).decision(t)
	if other.DecisionID == d.DecisionID {
		t.Fatal("another caller got the first caller's decision")
	}
	if p := decodeInto[page](t, h.audit("/v1/decisions?session_id=t-review")); len(p.Traces) != 2 {
		t.Fatalf("%d traces for 2 decisions", len(p.Traces))
	}

	t.Run("concurrent first requests: one decision", func(t *testing.T) {
		const n = 8
		var wg sync.WaitGroup
		results := make([]*result, n)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, _ := h.send(req{method: "POST", path: "/v1/decisions", key: keyCheckout, ctype: "application/json",
					body: `{"session_id":"t-allow"}`, header: map[string]string{"Idempotency-Key": "race-1"}})
				results[i] = r
			}()
		}
		wg.Wait()
		for i, r := range results {
			if r.status != 200 || !bytes.Equal(r.body, results[0].body) {
				t.Fatalf("request %d: %d %s\nwant %s", i, r.status, r.body, results[0].body)
			}
		}
		tr, err := store.FindIdempotent(context.Background(), "checkout", "race-1")
		if err != nil || !bytes.Equal(tr.Answer, results[0].body) {
			t.Fatalf("stored: %v", err)
		}
	})
}

func testMonitorOnly(t *testing.T, b logBackend) {
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: b.open(t), monitor: true})
	res := h.decide(`{"session_id":"t-deny"}`)
	m := res.json(t)
	if res.status != 200 || m["outcome"] != "allow" || m["monitor_only"] != true || m["would_be_outcome"] != "deny" {
		t.Fatalf("monitor answer: %d %s", res.status, res.body)
	}
	tr := decodeInto[traceView](t, h.audit("/v1/decisions/"+m["decision_id"].(string)))
	if tr.Outcome != "allow" || !tr.MonitorOnly || tr.WouldBeOutcome != "deny" || len(tr.FiredRules) == 0 {
		t.Fatalf("monitor trace: %+v", tr)
	}
	// Searches by answered outcome find it under allow.
	if p := decodeInto[page](t, h.audit("/v1/decisions?outcome=allow")); len(p.Traces) != 1 {
		t.Fatalf("outcome=allow: %d traces", len(p.Traces))
	}
}

func testLogFailure(t *testing.T, b logBackend) {
	store := b.open(t)
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: store})
	h.decide(`{"session_id":"t-allow"}`).decision(t)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"session_id":"t-deny"}`, `{"session_id":"t-allow"}`} {
		r := h.decide(body)
		if r.status != 503 || r.errorCode(t) != "decision_log_unavailable" || strings.Contains(string(r.body), "outcome") {
			t.Fatalf("decision with the log closed: %d %s", r.status, r.body)
		}
	}
	r := h.decideIdem("k-1", `{"session_id":"t-deny"}`)
	if r.status != 503 || r.errorCode(t) != "decision_log_unavailable" {
		t.Fatalf("idempotent decision with the log closed: %d %s", r.status, r.body)
	}
	if r := h.do(req{method: "GET", path: "/readyz"}); r.status != 503 {
		t.Fatalf("readyz with the log closed: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/v1/decisions", "/v1/decisions/0193e6a0-0000-7000-8000-000000000000"} {
		if r := h.audit(path); r.status != 503 || r.errorCode(t) != "decision_log_unavailable" {
			t.Fatalf("GET %s with the log closed: %d %s", path, r.status, r.body)
		}
	}
}

// TestReadRoutesWithoutALog: a server built without a decision log still
// serves the read routes, with a 503 that says why.
func TestReadRoutesWithoutALog(t *testing.T) {
	h := newHarness(t, harnessOpts{rules: "testdata/rules"})
	for _, path := range []string{"/v1/decisions?outcome=deny", "/v1/decisions/0193e6a0-0000-7000-8000-000000000000"} {
		r := h.audit(path)
		if r.status != 503 || r.errorCode(t) != "decision_log_unavailable" || !strings.Contains(string(r.body), "without a decision log") {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
