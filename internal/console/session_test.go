package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// clock is a settable clock for the idle expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newTestConsole(t *testing.T, trustProxy bool, clk *clock) *Console {
	t.Helper()
	set, err := engine.LoadDir("testdata/rules")
	if err != nil {
		t.Fatal(err)
	}
	live := &engine.Live{}
	live.Store(set)
	c, err := New(Options{Live: live, Now: clk.now, TrustForwardedProto: trustProxy,
		Authenticate: func(key string) (Identity, bool) {
			if key == "good-key-0123456789" {
				return Identity{KeyID: "k1", Scopes: []string{ScopeAudit}}, true
			}
			return Identity{}, false
		}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signIn runs the sign-in form through c and returns the session cookie.
func signIn(t *testing.T, c *Console, header http.Header) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/login", nil))
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())[1]
	pre := rec.Result().Cookies()[0]
	req := httptest.NewRequest(http.MethodPost, "/console/login", strings.NewReader(url.Values{"csrf": {tok}, "key": {"good-key-0123456789"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	req.AddCookie(pre)
	rec = httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", rec.Code)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func status(c *Console, ck *http.Cookie, path string) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	return rec.Code
}

func TestSessionExpiresAfterEightHoursIdle(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	c := newTestConsole(t, false, clk)
	ck := signIn(t, c, nil)
	// Used every 7 hours, the session lives on past 8 hours from sign-in.
	for range 3 {
		clk.add(7 * time.Hour)
		if got := status(c, ck, "/console/policies"); got != http.StatusOK {
			t.Fatalf("after 7 h idle: %d, want 200", got)
		}
	}
	clk.add(IdleTimeout)
	if got := status(c, ck, "/console/policies"); got != http.StatusSeeOther {
		t.Fatalf("after 8 h idle: %d, want the redirect to sign-in", got)
	}
	if n := c.sessions.len(); n != 0 {
		t.Errorf("%d sessions kept after expiry, want 0", n)
	}
}

func TestSessionCookieSecure(t *testing.T) {
	cases := []struct {
		name   string
		trust  bool
		header http.Header
		secure bool
	}{
		{"plain HTTP", false, nil, false},
		{"proxy says https, not trusted", false, http.Header{"X-Forwarded-Proto": {"https"}}, false},
		{"proxy says https, trusted", true, http.Header{"X-Forwarded-Proto": {"https"}}, true},
		{"proxy says http, trusted", true, http.Header{"X-Forwarded-Proto": {"http"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestConsole(t, tc.trust, &clock{t: time.Now()})
			if ck := signIn(t, c, tc.header); ck.Secure != tc.secure {
				t.Errorf("Secure %v, want %v", ck.Secure, tc.secure)
			}
		})
	}
}

func TestSessionsAreBounded(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	s := newSessions(IdleTimeout, clk.now)
	first, _ := s.create(Identity{KeyID: "a"})
	for range maxSessions + 10 {
		clk.add(time.Millisecond)
		s.create(Identity{KeyID: "b"})
	}
	if n := s.len(); n > maxSessions {
		t.Errorf("%d sessions kept, want at most %d", n, maxSessions)
	}
	if s.get(first) != nil {
		t.Errorf("the idlest session survived the bound")
	}
}
