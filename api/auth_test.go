package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestAuth checks every authenticated route against every kind of caller:
// no key, a malformed header, an unknown key, a key without the scope (403),
// and a key with it (neither 401 nor 403).
func TestAuth(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	routes := []struct {
		method, path, ctype, body string
		allowed                   []string // secrets whose key has the scope
		denied                    []string // known keys without it
	}{
		{"POST", "/v1/decisions", "application/json", `{"session_id":"bad id"}`, []string{keyCheckout, keyAll}, []string{keyRisk, keyOps, keyAuditor}},
		{"POST", "/v1/evaluate", "application/json", `{}`, []string{keyRisk, keyAll}, []string{keyCheckout, keyOps, keyAuditor}},
		{"GET", "/v1/policies", "", "", []string{keyOps, keyAll}, []string{keyCheckout, keyRisk, keyAuditor}},
		{"POST", "/v1/policies/validate", "application/json", `{}`, []string{keyOps, keyAll}, []string{keyCheckout, keyRisk, keyAuditor}},
		{"POST", "/v1/policies/reload", "", "", []string{keyOps, keyAll}, []string{keyCheckout, keyRisk, keyAuditor}},
	}
	for _, rt := range routes {
		base := req{method: rt.method, path: rt.path, ctype: rt.ctype, body: rt.body}
		name := rt.method + " " + rt.path
		unauth := map[string]map[string]string{
			"no header":        nil,
			"basic scheme":     {"Authorization": "Basic " + keyAll},
			"bearer, no token": {"Authorization": "Bearer "},
			"token, no scheme": {"Authorization": keyAll},
			"unknown key":      {"Authorization": "Bearer not-a-key-at-all"},
			"key prefix":       {"Authorization": "Bearer " + keyAll[:len(keyAll)-1]},
			"key plus a byte":  {"Authorization": "Bearer " + keyAll + "x"},
		}
		for what, hdr := range unauth {
			t.Run(name+"/"+what, func(t *testing.T) {
				r := base
				r.header = hdr
				res := h.do(r)
				if res.status != http.StatusUnauthorized || res.errorCode(t) != "unauthenticated" {
					t.Fatalf("got %d %s", res.status, res.body)
				}
				if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("WWW-Authenticate = %q", res.header.Get("WWW-Authenticate"))
				}
			})
		}
		for _, k := range rt.denied {
			t.Run(name+"/wrong scope "+k[:5], func(t *testing.T) {
				r := base
				r.key = k
				res := h.do(r)
				if res.status != http.StatusForbidden || res.errorCode(t) != "forbidden" {
					t.Fatalf("got %d %s", res.status, res.body)
				}
			})
		}
		for _, k := range rt.allowed {
			t.Run(name+"/scope held "+k[:5], func(t *testing.T) {
				r := base
				r.key = k
				res := h.do(r)
				if res.status == http.StatusUnauthorized || res.status == http.StatusForbidden {
					t.Fatalf("got %d %s", res.status, res.body)
				}
			})
		}
	}
	t.Run("lower-case scheme accepted", func(t *testing.T) {
		res := h.do(req{method: "GET", path: "/v1/policies", header: map[string]string{"Authorization": "bearer " + keyOps}})
		if res.status == http.StatusUnauthorized {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("no secret in the logs", func(t *testing.T) {
		logs := h.logs.String()
		for _, s := range []string{keyAll, keyCheckout, keyRisk, keyOps, keyAuditor, simKey} {
			if strings.Contains(logs, s) {
				t.Fatalf("secret %q... appears in the logs", s[:6])
			}
		}
		if !strings.Contains(logs, `"key_id":"checkout"`) {
			t.Fatalf("key ids are not logged")
		}
	})
}
