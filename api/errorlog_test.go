package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/audit"
)

// TestServerErrorsLogTheirCause: each 5xx's request log line carries the
// wrapped error chain, down to the decision log's own error, here from a
// real SQLite log closed under the server.
func TestServerErrorsLogTheirCause(t *testing.T) {
	store, err := audit.Open(context.Background(), filepath.Join(t.TempDir(), "verdict.db"), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: store})
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		r     req
		code  string
		chain []string // parts the logged error must hold, outermost first
	}{
		{"decide", req{method: http.MethodPost, path: "/v1/decisions", key: keyCheckout, ctype: "application/json", body: `{"session_id":"t-allow"}`},
			"decision_log_unavailable", []string{"decision_log_unavailable", "record decision ", "closed"}},
		{"list", req{method: http.MethodGet, path: "/v1/decisions", key: keyAuditor},
			"decision_log_unavailable", []string{"decision_log_unavailable", "query decisions: ", "closed"}},
		{"get", req{method: http.MethodGet, path: "/v1/decisions/0193e6a0-0000-7000-8000-000000000001", key: keyAuditor},
			"decision_log_unavailable", []string{"decision_log_unavailable", `get decision "0193e6a0-0000-7000-8000-000000000001": `, "closed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := h.do(c.r)
			if res.status != 503 || res.errorCode(t) != c.code {
				t.Fatalf("got %d %s", res.status, res.body)
			}
			id := res.header.Get("X-Request-Id")
			line := requestLine(t, h.logs.String(), id)
			got, _ := line["error"].(string)
			at := 0
			for _, part := range c.chain {
				i := strings.Index(got[at:], part)
				if i < 0 {
					t.Fatalf("the request's log line has error %q, want %q in it (after %q)", got, part, got[:at])
				}
				at += i + len(part)
			}
			if line["status"] != 503.0 || line["error_code"] != c.code {
				t.Fatalf("log line %v", line)
			}
		})
	}
	t.Run("a 4xx logs no cause", func(t *testing.T) {
		res := h.do(req{method: http.MethodPost, path: "/v1/decisions", key: keyCheckout, ctype: "application/json", body: `{}`})
		if line := requestLine(t, h.logs.String(), res.header.Get("X-Request-Id")); line["error"] != nil {
			t.Fatalf("a 400 logged a cause: %v", line)
		}
	})
}

// requestLine returns the access log line ("request") of one request id.
func requestLine(t *testing.T, logs, id string) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["message"] == "request" && m["request_id"] == id {
			return m
		}
	}
	t.Fatalf("no request log line for %s in:\n%s", id, logs)
	return nil
}
