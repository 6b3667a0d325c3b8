package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/verdicthq/verdict/api"
)

func TestUnknownRoutesAndMethods(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	cases := []struct {
		method, path string
		status       int
		code         string
		allow        string // expected in the Allow header, for 405
	}{
		{"GET", "/nope", 404, "not_found", ""},
		{"GET", "/v1/decision", 404, "not_found", ""},
		{"GET", "/v1/decisionz/x", 404, "not_found", ""},
		{"DELETE", "/v1/decisions", 405, "method_not_allowed", "GET"},
		{"PUT", "/v1/decisions/0193e6a0-0000-7000-8000-000000000000", 405, "method_not_allowed", "GET"},    // a trace is never updated
		{"DELETE", "/v1/decisions/0193e6a0-0000-7000-8000-000000000000", 405, "method_not_allowed", "GET"}, // nor deleted
		{"PUT", "/v1/evaluate", 405, "method_not_allowed", "POST"},
		{"DELETE", "/healthz", 405, "method_not_allowed", "GET"},
		{"POST", "/metrics", 405, "method_not_allowed", "GET"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res := h.do(req{method: tc.method, path: tc.path, key: keyAll})
			if res.status != tc.status || res.errorCode(t) != tc.code {
				t.Fatalf("got %d %s, want %d %s", res.status, res.body, tc.status, tc.code)
			}
			if tc.allow != "" && !strings.Contains(res.header.Get("Allow"), tc.allow) {
				t.Fatalf("Allow = %q, want it to list %s", res.header.Get("Allow"), tc.allow)
			}
		})
	}
}

func TestProbesMetricsAndContract(t *testing.T) {
	failing := errors.New("decision log unreachable")
	var logUp atomic.Bool
	logUp.Store(true)
	h := newHarness(t, harnessOpts{readiness: []api.ReadinessCheck{{Name: "decision_log", Check: func(context.Context) error {
		if logUp.Load() {
			return nil
		}
		return failing
	}}}})

	t.Run("healthz", func(t *testing.T) {
		res := h.do(req{method: "GET", path: "/healthz"})
		if res.status != 200 || res.json(t)["status"] != "ok" {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("readyz without a policy set", func(t *testing.T) {
		res := h.do(req{method: "GET", path: "/readyz"})
		if res.status != 503 || res.errorCode(t) != "not_ready" {
			t.Fatalf("got %d %s", res.status, res.body)
		}
		details := res.json(t)["error"].(map[string]any)["details"].(map[string]any)
		if details["policies"] == "ok" || details["decision_log"] != "ok" {
			t.Fatalf("details = %v", details)
		}
	})
	t.Run("readyz with a failing check", func(t *testing.T) {
		logUp.Store(false)
		defer logUp.Store(true)
		res := h.do(req{method: "GET", path: "/readyz"})
		details := res.json(t)["error"].(map[string]any)["details"].(map[string]any)
		if res.status != 503 || details["decision_log"] != failing.Error() {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		h.do(req{method: "GET", path: "/nope"})
		res := h.do(req{method: "GET", path: "/metrics"})
		for _, want := range []string{"verdict_http_request_duration_seconds_bucket", `route="unmatched"`, "verdict_upstream_breaker_state", "go_goroutines"} {
			if !bytes.Contains(res.body, []byte(want)) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
	t.Run("openapi.json is the embedded document", func(t *testing.T) {
		res := h.do(req{method: "GET", path: "/openapi.json"})
		if res.status != 200 || !bytes.Equal(res.body, api.OpenAPI) {
			t.Fatalf("got %d, %d bytes", res.status, len(res.body))
		}
	})
	t.Run("policies without a set", func(t *testing.T) {
		res := h.do(req{method: "GET", path: "/v1/policies", key: keyOps})
		if res.status != 503 || res.errorCode(t) != "not_ready" {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("reload without a reloader", func(t *testing.T) {
		res := h.do(req{method: "POST", path: "/v1/policies/reload", key: keyOps})
		if res.status != 503 || res.errorCode(t) != "not_ready" {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
}

var madeID = regexp.MustCompile(`^[0-9a-f]{16}-[0-9a-f]{16}$`)

func TestRequestID(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	cases := []struct {
		name, sent string
		kept       bool
	}{
		{"sane id kept", "checkout-7f3a:retry.2", true},
		{"none sent", "", false},
		{"spaces replaced", "a b", false},
		{"newline replaced", "a\tb", false},
		{"too long replaced", strings.Repeat("r", 129), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.sent != "" {
				hdr["X-Request-Id"] = tc.sent
			}
			res := h.do(req{method: "GET", path: "/healthz", header: hdr})
			got := res.header.Get("X-Request-Id")
			if tc.kept && got != tc.sent || !tc.kept && (got == tc.sent || !madeID.MatchString(got)) {
				t.Fatalf("sent %q, got %q", tc.sent, got)
			}
			if !strings.Contains(h.logs.String(), `"request_id":"`+got+`"`) {
				t.Fatalf("request id %q not in the access log", got)
			}
		})
	}
}

// TestExtraRoutes checks the seam the decision log uses to add its routes:
// they get auth and scopes, and their errors, panics and timeouts go through
// the same error table.
func TestExtraRoutes(t *testing.T) {
	h := newHarness(t, harnessOpts{reqTimeout: 100 * time.Millisecond})
	h.server.Route(http.MethodGet, "/v1/extra/ok", api.ScopeAudit, func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"key": c.Request().Header.Get("X-Nothing")})
	})
	h.server.Route(http.MethodGet, "/v1/extra/panic", api.ScopeAudit, func(c echo.Context) error {
		panic("boom")
	})
	h.server.Route(http.MethodGet, "/v1/extra/slow", api.ScopeAudit, func(c echo.Context) error {
		<-c.Request().Context().Done()
		return c.Request().Context().Err()
	})
	h.server.Route(http.MethodGet, "/v1/extra/fail", api.ScopeAudit, func(c echo.Context) error {
		return fmt.Errorf("query decisions: %w", errors.New("connection refused to db.internal:5432"))
	})
	cases := []struct {
		name, path, key string
		status          int
		code            string
	}{
		{"scope held", "/v1/extra/ok", keyAuditor, 200, ""},
		{"scope missing", "/v1/extra/ok", keyCheckout, 403, "forbidden"},
		{"no key", "/v1/extra/ok", "", 401, "unauthenticated"},
		{"panic is a 500", "/v1/extra/panic", keyAuditor, 500, "internal"},
		{"request timeout is a 503", "/v1/extra/slow", keyAuditor, 503, "timeout"},
		{"unexpected error is a 500 without its detail", "/v1/extra/fail", keyAuditor, 500, "internal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := h.send(req{method: "GET", path: tc.path, key: tc.key})
			if res.status != tc.status || tc.code != "" && res.errorCode(t) != tc.code {
				t.Fatalf("got %d %s", res.status, res.body)
			}
			if strings.Contains(string(res.body), "db.internal") || strings.Contains(string(res.body), "boom") {
				t.Fatalf("internal detail leaked to the caller: %s", res.body)
			}
		})
	}
	if !strings.Contains(h.logs.String(), "handler panicked") || !strings.Contains(h.logs.String(), "db.internal") {
		t.Fatal("panics and internal errors are not logged")
	}
}
