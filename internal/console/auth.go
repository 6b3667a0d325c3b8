package console

import (
	"net/http"
	"net/url"
	"strings"
)

// Cookie names: the session, and the sign-in form's CSRF token (a
// double-submit cookie, since there is no session yet to hold it).
const (
	sessionCookie = "verdict_console"
	loginCookie   = "verdict_console_login"
)

// maxFormBytes bounds a posted form (a policy draft is the largest).
const maxFormBytes = 1 << 20

// handlerFunc is a console page handler: it runs with a live session.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session)

// page wraps h: without a session, a GET is sent to sign-in (and back
// after) and anything else is a 403; a key holding none of scopes gets a
// 403 page; a POST must carry the session's CSRF token, else 403 and
// nothing runs. No scopes (ScopeNone) opens the page to any session.
func (c *Console) page(scope string, h handlerFunc, orScopes ...string) http.HandlerFunc {
	scopes := append([]string{scope}, orScopes...)
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.currentSession(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.errorPage(w, r, nil, http.StatusForbidden, "Signed out", "Your session has ended; sign in again.")
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				c.errorPage(w, r, s, http.StatusBadRequest, "Bad form", "The form could not be read: it is larger than 1 MiB or malformed.")
				return
			}
			if !tokensEqual(r.PostForm.Get("csrf"), s.csrf) {
				c.errorPage(w, r, s, http.StatusForbidden, "Form expired", "This form is missing its security token, or it belongs to another session. Reload the page and send it again.")
				return
			}
		}
		if scope != ScopeNone && !s.HasAny(scopes...) {
			c.errorPage(w, r, s, http.StatusForbidden, "Not allowed", "Your API key ("+s.KeyID+") lacks the "+strings.Join(scopes, " or ")+" scope this page needs.")
			return
		}
		h(w, r, s)
	}
}

// currentSession is the request's live session, or nil.
func (c *Console) currentSession(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return c.sessions.get(ck.Value)
}

// secure reports whether the browser reached us over HTTPS.
func (c *Console) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return c.opts.TrustForwardedProto && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
}

// loginView is the sign-in page's data.
type loginView struct {
	Next  string
	Error string
	CSRF  string
}

// loginForm shows the sign-in form with a fresh double-submit token.
func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	if c.currentSession(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.showLogin(w, r, http.StatusOK, safeNext(r.URL.Query().Get("next")), "")
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	tok := randomToken()
	c.setCookie(w, r, loginCookie, tok, 3600)
	c.render(w, r, nil, status, "login", "Sign in", loginView{Next: next, Error: msg, CSRF: tok})
}

// login checks the form's token against its cookie, then the key; a known
// key with a console scope gets a new session (never the old one's id).
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, nil, http.StatusBadRequest, "Bad form", "The sign-in form could not be read.")
		return
	}
	ck, err := r.Cookie(loginCookie)
	if err != nil || !tokensEqual(ck.Value, r.PostForm.Get("csrf")) {
		c.errorPage(w, r, nil, http.StatusForbidden, "Form expired", "The sign-in form is missing its security token. Open the sign-in page again.")
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	id, ok := c.opts.Authenticate(strings.TrimSpace(r.PostForm.Get("key")))
	switch {
	case !ok:
		c.showLogin(w, r, http.StatusUnauthorized, next, "This API key is not known.")
		return
	case !id.Has(ScopeAudit) && !id.Has(ScopeReview) && !id.Has(ScopeAdmin):
		c.showLogin(w, r, http.StatusForbidden, next, "API key "+id.KeyID+" has none of the console's scopes (audit, review, admin).")
		return
	}
	if old, err := r.Cookie(sessionCookie); err == nil {
		c.sessions.end(old.Value)
	}
	sid, _ := c.sessions.create(id)
	c.setCookie(w, r, sessionCookie, sid, 0)
	c.setCookie(w, r, loginCookie, "", -1)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session and clears its cookie.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, _ *session) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c.sessions.end(ck.Value)
	}
	c.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in target inside the console: anything else
// (another host, a scheme, "//evil") goes to the console's home.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return Prefix
	}
	return next
}
