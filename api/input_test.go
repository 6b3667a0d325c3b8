package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestBadInput is the bad-input matrix: every malformed request gets its 4xx
// JSON error (checked against openapi.json by the harness), never a 500.
func TestBadInput(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	big := `{"session_id":"t-allow","context":{"pad":"` + strings.Repeat("x", 9000) + `"}}`
	cases := []struct {
		name   string
		req    req
		status int
		code   string
	}{
		{"no content type", req{body: `{"session_id":"t-allow"}`}, 415, "unsupported_media_type"},
		{"text/plain", req{ctype: "text/plain", body: `{"session_id":"t-allow"}`}, 415, "unsupported_media_type"},
		{"form", req{ctype: "application/x-www-form-urlencoded", body: `session_id=t-allow`}, 415, "unsupported_media_type"},
		{"latin1 charset", req{ctype: "application/json; charset=latin1", body: `{"session_id":"t-allow"}`}, 415, "unsupported_media_type"},
		{"malformed content type", req{ctype: "application/json; ===", body: `{"session_id":"t-allow"}`}, 415, "unsupported_media_type"},
		{"empty body", req{}, 400, "malformed_json"},
		{"whitespace body", req{body: "  \n "}, 400, "malformed_json"},
		{"null body", req{body: `null`}, 400, "malformed_json"},
		{"array body", req{body: `[{"session_id":"t-allow"}]`}, 400, "malformed_json"},
		{"string body", req{body: `"t-allow"`}, 400, "malformed_json"},
		{"truncated", req{body: `{"session_id":"t-al`}, 400, "malformed_json"},
		{"syntax error", req{body: `{"session_id" "t-allow"}`}, 400, "malformed_json"},
		{"two objects", req{body: `{"session_id":"t-allow"}{"session_id":"t-deny"}`}, 400, "malformed_json"},
		{"trailing garbage", req{body: `{"session_id":"t-allow"} x`}, 400, "malformed_json"},
		{"unknown field", req{body: `{"session_id":"t-allow","amount":5}`}, 400, "unknown_field"},
		{"misspelt field", req{body: `{"sessionId":"t-allow"}`}, 400, "unknown_field"},
		{"session_id a number", req{body: `{"session_id":42}`}, 400, "invalid_field"},
		{"session_id an object", req{body: `{"session_id":{}}`}, 400, "invalid_field"},
		{"session_id missing", req{body: `{}`}, 400, "invalid_session_id"},
		{"session_id empty", req{body: `{"session_id":""}`}, 400, "invalid_session_id"},
		{"session_id null", req{body: `{"session_id":null}`}, 400, "invalid_session_id"},
		{"session_id path traversal", req{body: `{"session_id":"../../v1/users/x/sessions"}`}, 400, "invalid_session_id"},
		{"session_id query", req{body: `{"session_id":"a?b"}`}, 400, "invalid_session_id"},
		{"session_id fragment", req{body: `{"session_id":"a#b"}`}, 400, "invalid_session_id"},
		{"session_id escaped slash", req{body: `{"session_id":"a%2Fb"}`}, 400, "invalid_session_id"},
		{"session_id space", req{body: `{"session_id":"a b"}`}, 400, "invalid_session_id"},
		{"session_id control byte", req{body: `{"session_id":"a\u0000b"}`}, 400, "invalid_session_id"},
		{"session_id unicode", req{body: `{"session_id":"séance"}`}, 400, "invalid_session_id"},
		{"session_id too long", req{body: `{"session_id":"` + strings.Repeat("a", 129) + `"}`}, 400, "invalid_session_id"},
		{"context an array", req{body: `{"session_id":"t-allow","context":[1,2]}`}, 400, "invalid_context"},
		{"context a string", req{body: `{"session_id":"t-allow","context":"amount=5"}`}, 400, "invalid_context"},
		{"context a number", req{body: `{"session_id":"t-allow","context":5}`}, 400, "invalid_context"},
		{"context not UTF-8", req{body: "{\"session_id\":\"t-allow\",\"context\":{\"note\":\"\xff\"}}"}, 400, "invalid_context"},
		{"body too large", req{body: big}, 413, "body_too_large"},
		{"idempotency key with a space", req{body: `{"session_id":"t-allow"}`, header: map[string]string{"Idempotency-Key": "a b"}}, 400, "invalid_header"},
		{"idempotency key too long", req{body: `{"session_id":"t-allow"}`, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}}, 400, "invalid_header"},
	}
	for _, tc := range cases {
		t.Run("decisions/"+tc.name, func(t *testing.T) {
			r := tc.req
			r.method, r.path, r.key = http.MethodPost, "/v1/decisions", keyCheckout
			if r.ctype == "" && tc.status != 415 {
				r.ctype = "application/json"
			}
			res := h.do(r)
			if res.status != tc.status || res.errorCode(t) != tc.code {
				t.Fatalf("got %d %s, want %d %s: %s", res.status, res.errorCode(t), tc.status, tc.code, res.body)
			}
		})
	}

	evalCases := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"no report", `{}`, 400, "invalid_report"},
		{"null report", `{"report":null}`, 400, "invalid_report"},
		{"report a string", `{"report":"t-allow"}`, 400, "invalid_report"},
		{"report without session_id", `{"report":{"risk_score":5}}`, 400, "invalid_report"},
		{"score out of range", `{"report":{"session_id":"x","risk_score":101}}`, 400, "invalid_report"},
		{"score a string", `{"report":{"session_id":"x","risk_score":"5"}}`, 400, "invalid_report"},
		{"bad check value", `{"report":{"session_id":"x","risk_score":5,"device_checks":{"vpn":"yes"}}}`, 400, "invalid_report"},
		{"unknown top-level field", `{"report":{"session_id":"x","risk_score":5},"session_id":"x"}`, 400, "unknown_field"},
		{"context an array", `{"report":{"session_id":"x","risk_score":5},"context":[]}`, 400, "invalid_context"},
	}
	for _, tc := range evalCases {
		t.Run("evaluate/"+tc.name, func(t *testing.T) {
			res := h.do(req{method: http.MethodPost, path: "/v1/evaluate", key: keyRisk, ctype: "application/json", body: tc.body})
			if res.status != tc.status || res.errorCode(t) != tc.code {
				t.Fatalf("got %d %s, want %d %s: %s", res.status, res.errorCode(t), tc.status, tc.code, res.body)
			}
		})
	}

	t.Run("validate/json is not a policy file", func(t *testing.T) {
		res := h.do(req{method: http.MethodPost, path: "/v1/policies/validate", key: keyOps, ctype: "application/json", body: `{}`})
		if res.status != 415 || res.errorCode(t) != "unsupported_media_type" {
			t.Fatalf("got %d: %s", res.status, res.body)
		}
	})
}
