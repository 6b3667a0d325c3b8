package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestWithoutSessionEveryPageRedirectsToSignIn(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	for _, path := range []string{"/console/", "/console/decisions", "/console/decisions/x", "/console/decisions/x/trace.json",
		"/console/policies", "/console/policies/checkout", "/console/drafts"} {
		p := b.get(path)
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/console/login?next=") {
			t.Errorf("GET %s without a session: %d Location %q, want 303 to sign-in", path, p.status, p.header.Get("Location"))
		}
	}
	if p := b.post("/console/drafts/validate", url.Values{"draft": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("POST without a session: %d, want 403", p.status)
	}
	if p := b.get("/console"); p.status != http.StatusMovedPermanently || p.header.Get("Location") != "/console/" {
		t.Errorf("GET /console: %d %q", p.status, p.header.Get("Location"))
	}
}

func TestSignIn(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name   string
		key    string
		status int
		want   string
	}{
		{"unknown key", "nope-0123456789012345", http.StatusUnauthorized, "This API key is not known."},
		{"empty key", "", http.StatusUnauthorized, "This API key is not known."},
		{"key without a console scope", keyDecide, http.StatusForbidden, "has none of the console&#39;s scopes"},
		{"auditor", keyAuditor, http.StatusSeeOther, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := h.browser()
			p := b.signIn(tc.key)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", p.status, tc.status, p.body)
			}
			if !strings.Contains(p.body, tc.want) {
				t.Errorf("page lacks %q:\n%s", tc.want, p.body)
			}
			if tc.key != "" && strings.Contains(p.body, tc.key) {
				t.Errorf("the page prints the key")
			}
			if tc.status != http.StatusSeeOther {
				return
			}
			var sc *http.Cookie
			for _, c := range (&http.Response{Header: p.header}).Cookies() {
				if c.Name == "verdict_console" {
					sc = c
				}
			}
			switch {
			case sc == nil:
				t.Fatal("no session cookie")
			case !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/console/":
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/console/", sc)
			case sc.Secure:
				t.Errorf("cookie Secure over plain HTTP without a trusted proxy")
			case strings.Contains(sc.Value, tc.key) || len(sc.Value) < 40:
				t.Errorf("cookie value %q: want a random id, not the key", sc.Value)
			}
			if got := b.get("/console/decisions"); got.status != http.StatusOK || !strings.Contains(got.body, "key <strong>auditor</strong>") {
				t.Errorf("signed in, decisions: %d", got.status)
			}
		})
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.mustSignIn(keyAuditor)
	p := b.get("/console/decisions")
	if p.status != http.StatusOK {
		t.Fatalf("decisions: %d", p.status)
	}
	old := b.client.Jar.Cookies(mustURL(t, h.url+"/console/"))
	if out := b.post("/console/logout", url.Values{"csrf": {p.csrf(t)}}); out.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", out.status)
	}
	if p := b.get("/console/decisions"); p.status != http.StatusSeeOther {
		t.Errorf("after sign-out: %d, want the redirect to sign-in", p.status)
	}
	// The old cookie, replayed, no longer opens anything.
	replay := h.browser()
	replay.client.Jar.SetCookies(mustURL(t, h.url+"/console/"), old)
	if p := replay.get("/console/decisions"); p.status != http.StatusSeeOther {
		t.Errorf("the ended session's cookie still opens pages: %d", p.status)
	}
}

func TestPostWithoutCSRFTokenIs403(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.mustSignIn(keyAdmin)
	token := b.get("/console/drafts").csrf(t)
	other := h.browser()
	other.mustSignIn(keyAdmin)
	otherToken := other.get("/console/drafts").csrf(t)
	draft := "name: x\ndefault: allow\non_error: review\nrules:\n  - id: r\n    when: risk_score > 90\n    action: deny\n"
	cases := []struct {
		name, path string
		form       url.Values
		status     int
	}{
		{"validate without token", "/console/drafts/validate", url.Values{"draft": {draft}}, http.StatusForbidden},
		{"validate with another session's token", "/console/drafts/validate", url.Values{"draft": {draft}, "csrf": {otherToken}}, http.StatusForbidden},
		{"backtest without token", "/console/drafts/backtest", url.Values{"draft": {draft}}, http.StatusForbidden},
		{"sign out without token", "/console/logout", url.Values{}, http.StatusForbidden},
		{"validate with the token", "/console/drafts/validate", url.Values{"draft": {draft}, "csrf": {token}}, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post(tc.path, tc.form)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", p.status, tc.status, p.body)
			}
		})
	}
	if p := b.get("/console/decisions"); p.status != http.StatusOK {
		t.Errorf("the refused sign-out ended the session: %d", p.status)
	}
	// The sign-in form is protected too: no token, or a token without its cookie.
	fresh := h.browser()
	if p := fresh.post("/console/login", url.Values{"key": {keyAdmin}}); p.status != http.StatusForbidden {
		t.Errorf("sign-in without token: %d, want 403", p.status)
	}
	if p := fresh.post("/console/login", url.Values{"key": {keyAdmin}, "csrf": {token}}); p.status != http.StatusForbidden {
		t.Errorf("sign-in with a token but no cookie: %d, want 403", p.status)
	}
}

func TestScopesDecideWhatPagesShow(t *testing.T) {
	h := newHarness(t)
	auditor := h.browser()
	auditor.mustSignIn(keyAuditor)
	p := auditor.get("/console/policies")
	if p.status != http.StatusOK || strings.Contains(p.body, "/console/drafts") {
		t.Errorf("auditor's policies page: %d, drafts link shown: %v", p.status, strings.Contains(p.body, "/console/drafts"))
	}
	if p := auditor.get("/console/drafts"); p.status != http.StatusForbidden || !strings.Contains(p.body, "lacks the admin scope") {
		t.Errorf("auditor opens drafts: %d", p.status)
	}
	tok := auditor.get("/console/decisions").csrf(t)
	if p := auditor.post("/console/drafts/validate", url.Values{"csrf": {tok}, "draft": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("auditor validates: %d, want 403", p.status)
	}
	admin := h.browser()
	admin.mustSignIn(keyAdmin)
	if p := admin.get("/console/policies"); !strings.Contains(p.body, `href="/console/drafts"`) {
		t.Errorf("admin's policies page lacks the drafts link")
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	for _, path := range []string{"/console/login", "/console/decisions", "/console/static/style.css", "/console/nowhere"} {
		p := b.get(path)
		csp := p.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if p.header.Get("X-Frame-Options") != "DENY" || p.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Frame-Options %q, X-Content-Type-Options %q", path, p.header.Get("X-Frame-Options"), p.header.Get("X-Content-Type-Options"))
		}
	}
	if p := b.get("/console/static/"); p.status != http.StatusNotFound {
		t.Errorf("static folder listing: %d, want 404", p.status)
	}
}

func TestSignInNextStaysInTheConsole(t *testing.T) {
	h := newHarness(t)
	for _, next := range []string{"https://evil.example/", "//evil.example/console/", "/v1/decisions", "/console/\\evil", "javascript:alert(1)"} {
		b := h.browser()
		form := b.get("/console/login?next=" + url.QueryEscape(next))
		p := b.post("/console/login", url.Values{"csrf": {form.csrf(t)}, "key": {keyAuditor}, "next": {next}})
		if loc := p.header.Get("Location"); loc != "/console/" {
			t.Errorf("next %q: sent to %q, want /console/", next, loc)
		}
	}
	b := h.browser()
	form := b.get("/console/login?next=" + url.QueryEscape("/console/policies"))
	p := b.post("/console/login", url.Values{"csrf": {form.csrf(t)}, "key": {keyAuditor}, "next": {"/console/policies"}})
	if loc := p.header.Get("Location"); loc != "/console/policies" {
		t.Errorf("next /console/policies: sent to %q", loc)
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
