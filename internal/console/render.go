package console

import (
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the parsed templates, one set per page (the layout plus the page).
type pages struct {
	byName map[string]*template.Template
}

// funcs are the helpers templates use. None returns template.HTML: every
// value from a report, a context or a policy is escaped by html/template.
var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05.000000Z")
	},
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"pct":   func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"lower": strings.ToLower,
	"ratio": func(f *float64) string {
		if f == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", *f*100)
	},
}

func loadPages() (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: list templates: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console: parse template %s: %w", n, err)
		}
		p.byName[base] = t
	}
	return p, nil
}

// view is what every page template gets: the page's own data under Data.
type view struct {
	Title   string
	Page    string
	Signed  bool
	KeyID   string
	CSRF    string
	Audit   bool // the key's scopes, for the navigation and the forms
	Review  bool
	Admin   bool
	Data    any
	Request *http.Request
}

// render executes a page into a buffer first, so a template error is a 500
// page rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, status int, page, title string, data any) {
	t := c.pages.byName[page]
	v := view{Title: title, Page: page, Data: data, Request: r}
	if s != nil {
		v.Signed, v.KeyID, v.CSRF = true, s.KeyID, s.csrf
		v.Audit, v.Review, v.Admin = s.Has(ScopeAudit), s.Has(ScopeReview), s.Has(ScopeAdmin)
	}
	var buf bytes.Buffer
	if t == nil {
		status = http.StatusInternalServerError
		buf.WriteString("console: no page " + template.HTMLEscapeString(page))
	} else if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>The page could not be drawn.</p>")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorView is the data of the error page.
type errorView struct {
	Status  int
	Message string
}

func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, s *session, status int, title, msg string) {
	c.render(w, r, s, status, "error", title, errorView{Status: status, Message: msg})
}

// securityHeaders are on every console answer: no inline or foreign script,
// no framing, no sniffing, no referrer, no caching of audit data.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

//go:embed static
var staticFS embed.FS

// staticHandler serves the embedded stylesheet and scripts; they may be cached.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/console/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no folder listings
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
