package console

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/lists"
)

// The API scopes the console reads (the same strings as api.Scope*; api
// checks they agree).
const (
	ScopeAudit  = "audit"  // read decisions and policies
	ScopeReview = "review" // also work the review queue and edit lists
	ScopeAdmin  = "admin"  // also validate and backtest drafts
)

// Prefix is where the console is mounted.
const Prefix = "/console/"

// Options are the services the console reads. Authenticate and Live are
// required.
type Options struct {
	// Authenticate returns the identity of an API key, false for an unknown key.
	Authenticate func(key string) (Identity, bool)
	// Live is the live policy set.
	Live *engine.Live
	// Log is the decision log; nil shows the decision pages as unavailable.
	Log audit.Store
	// ParseFilter reads the API's decision filters from query parameters
	// (the same function GET /v1/decisions uses), so both accept the same.
	ParseFilter func(q url.Values, now time.Time) (audit.Filter, error)
	// Lists is the list service (the one behind /v1/lists); nil shows the
	// list pages as unavailable.
	Lists *lists.Service
	// Sources, when set, looks up a policy's source by version first (the
	// decision log's kept policy sources).
	Sources SourceFinder
	// TrustForwardedProto marks the session cookie Secure when a proxy in
	// front says "X-Forwarded-Proto: https" (requests over TLS always are).
	TrustForwardedProto bool
	// Now is the clock (tests inject one); nil is time.Now.
	Now func() time.Time
}

// Console serves the browser console.
type Console struct {
	opts     Options
	sessions *sessions
	pages    *pages
	mux      *http.ServeMux
	now      func() time.Time
	sources  sourceCache // policy sources by version
	// backtests holds a token while a backtest runs: one at a time.
	backtests chan struct{}
}

// New builds the console.
func New(opts Options) (*Console, error) {
	if opts.Authenticate == nil || opts.Live == nil {
		return nil, errors.New("console: Options.Authenticate and Options.Live are required")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	pg, err := loadPages()
	if err != nil {
		return nil, err
	}
	c := &Console{opts: opts, sessions: newSessions(IdleTimeout, now), pages: pg, now: now, backtests: make(chan struct{}, 1)}
	c.routes()
	return c, nil
}

// ServeHTTP serves every path under /console/ with the security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	c.mux.ServeHTTP(w, r)
}

func (c *Console) routes() {
	m := http.NewServeMux()
	m.Handle("GET /console/static/", staticHandler())
	m.HandleFunc("GET /console/login", c.loginForm)
	m.HandleFunc("POST /console/login", c.login)
	m.HandleFunc("POST /console/logout", c.page(ScopeNone, c.logout))
	m.HandleFunc("GET /console/{$}", c.page(ScopeNone, c.home))
	m.HandleFunc("GET /console/decisions", c.page(ScopeAudit, c.decisions))
	m.HandleFunc("GET /console/decisions/{id}", c.page(ScopeAudit, c.decision))
	m.HandleFunc("GET /console/decisions/{id}/trace.json", c.page(ScopeAudit, c.traceJSON))
	m.HandleFunc("GET /console/reviews", c.page(ScopeAudit, c.reviews, ScopeReview))
	m.HandleFunc("GET /console/reviews/{id}", c.page(ScopeAudit, c.review, ScopeReview))
	m.HandleFunc("POST /console/reviews/{id}/claim", c.page(ScopeReview, c.claimReview))
	m.HandleFunc("POST /console/reviews/{id}/resolve", c.page(ScopeReview, c.resolveReview))
	m.HandleFunc("GET /console/performance", c.page(ScopeAudit, c.performance))
	m.HandleFunc("GET /console/lists", c.page(ScopeAudit, c.listsPage, ScopeReview))
	m.HandleFunc("GET /console/lists/{name}", c.page(ScopeAudit, c.listPage, ScopeReview))
	m.HandleFunc("POST /console/lists/{name}/items", c.page(ScopeReview, c.addListItem))
	m.HandleFunc("POST /console/lists/{name}/items/remove", c.page(ScopeReview, c.removeListItem))
	m.HandleFunc("GET /console/policies", c.page(ScopeAudit, c.policies))
	m.HandleFunc("GET /console/policies/{name}", c.page(ScopeAudit, c.policy))
	m.HandleFunc("GET /console/drafts", c.page(ScopeAdmin, c.draftForm))
	m.HandleFunc("POST /console/drafts/validate", c.page(ScopeAdmin, c.validateDraft))
	m.HandleFunc("POST /console/drafts/backtest", c.page(ScopeAdmin, c.backtestDraft))
	m.HandleFunc("/console/", c.notFound)
	c.mux = m
}

// ScopeNone marks a page any signed-in key may open.
const ScopeNone = ""

// home sends a signed-in browser to the first page its scopes open.
func (c *Console) home(w http.ResponseWriter, r *http.Request, s *session) {
	if s.Has(ScopeAudit) {
		http.Redirect(w, r, "/console/decisions", http.StatusSeeOther)
		return
	}
	if s.Has(ScopeReview) {
		http.Redirect(w, r, "/console/reviews", http.StatusSeeOther)
		return
	}
	c.render(w, r, s, http.StatusOK, "home", "Console", nil)
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.errorPage(w, r, c.currentSession(r), http.StatusNotFound, "Not found", "There is no console page at this address.")
}
