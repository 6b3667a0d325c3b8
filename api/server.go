package api

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/internal/lists"
)

// ReportFetcher gets a session's report; *fetcher.Client is the real one.
// Errors wrap the fetcher's sentinel errors (report.Status maps them).
type ReportFetcher = decision.Fetcher

// Options configures a Server. Live, Fetcher and Keys are required.
type Options struct {
	Live      *engine.Live     // the live policy set, swapped by the Reloader
	Fetcher   ReportFetcher    // Roundtable
	Keys      []config.APIKey  // callers' keys
	Logger    zerolog.Logger   // base logger; requests add request_id
	Metrics   *Metrics         // nil creates a fresh registry
	Reloader  PolicyReloader   // nil answers POST /v1/policies/reload with 503
	Recorder  DecisionRecorder // the decision log; nil records nothing
	Readiness []ReadinessCheck // extra /readyz checks (the decision log adds its own)
	Notes     []ReadinessNote  // extra /readyz lines that never fail it (the policy watch)
	// Log is the decision log: when set, decisions are recorded in it (unless
	// Recorder is set too), GET /v1/decisions reads it, and /readyz pings it.
	// Without it, the read routes answer 503 decision_log_unavailable.
	Log audit.Store
	// Lists is the list service behind /v1/lists; nil answers those routes
	// with 503 decision_log_unavailable.
	Lists *lists.Service
	// Memory is what decisions read beyond the report (lists, counters),
	// and is told of each decision once recorded; nil: decisions read none.
	Memory decision.Memory
	// MonitorOnly answers allow to every decision, with "monitor_only": true
	// and "would_be_outcome" in the answer; the log records both.
	MonitorOnly bool

	// Clock is the time of claims, resolutions and review ages (default time.Now).
	Clock func() time.Time

	// TrustForwardedProto makes the console's session cookie Secure when a
	// proxy in front says "X-Forwarded-Proto: https" (TLS always does).
	TrustForwardedProto bool

	BodyLimit      int64         // largest request body, bytes (default 64 KiB)
	ContextLimits  ContextLimits // bounds on the caller's context (defaults: 32 levels, 1000 keys, 64 KiB strings)
	PolicyLimits   engine.Limits // what POST /v1/policies/validate loads a draft under (zero fields: the engine's defaults)
	RequestTimeout time.Duration // per-request deadline (default 5s)
}

// Server is the decision API. Handler serves it; cmd/verdict owns the
// listener and signals.
type Server struct {
	e         *echo.Echo
	live      *engine.Live
	pipeline  *decision.Pipeline // the decide sequence of POST /v1/decisions
	dryRun    *decision.Pipeline // the same for POST /v1/evaluate: no fetcher, never monitor-only
	keys      *keyring
	log       zerolog.Logger
	metrics   *Metrics
	reloader  PolicyReloader
	recorder  DecisionRecorder
	readiness []ReadinessCheck
	notes     []ReadinessNote
	bodyLimit int64
	// contextLimits bound the caller's context (decodeDecideRequest, decodeContext).
	contextLimits ContextLimits
	// policyLimits are what a draft policy is validated under.
	policyLimits engine.Limits
	// requestTimeout bounds every request: through a deadline context on all
	// routes but POST /v1/decisions, which bounds its own waits (see record).
	requestTimeout time.Duration
	auditLog       audit.Store
	lists          *lists.Service
	memory         decision.Memory
	draining       atomic.Bool
	ids            *requestIDs
	clock          func() time.Time
}

// New builds the Echo router with every route and middleware.
func New(opts Options) (*Server, error) {
	if opts.Live == nil || opts.Fetcher == nil {
		return nil, errors.New("api: Options.Live and Options.Fetcher are required")
	}
	if len(opts.Keys) == 0 {
		return nil, errors.New("api: at least one API key is required")
	}
	if err := CheckKeys(opts.Keys); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = 64 << 10
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 5 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Log != nil {
		al := NewAuditLog(opts.Log)
		if opts.Recorder == nil {
			opts.Recorder = al
		}
		opts.Readiness = append(opts.Readiness, ReadinessCheck{Name: "decision_log", Check: al.Ping})
	}
	s := &Server{
		e:         echo.New(),
		live:      opts.Live,
		pipeline:  &decision.Pipeline{Policies: opts.Live, Fetcher: opts.Fetcher, MonitorOnly: opts.MonitorOnly, Memory: opts.Memory},
		dryRun:    &decision.Pipeline{Policies: opts.Live, Memory: opts.Memory},
		keys:      newKeyring(opts.Keys),
		log:       opts.Logger,
		metrics:   opts.Metrics,
		reloader:  opts.Reloader,
		recorder:  opts.Recorder,
		readiness: opts.Readiness,
		notes:     opts.Notes,
		bodyLimit: opts.BodyLimit,

		contextLimits: opts.ContextLimits.withDefaults(),
		policyLimits:  opts.PolicyLimits.WithDefaults(),
		ids:           newRequestIDs(),
		auditLog:      opts.Log,
		clock:         opts.Clock,
		lists:         opts.Lists,
		memory:        opts.Memory,

		requestTimeout: opts.RequestTimeout,
	}
	e := s.e
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	e.Use(s.frame)

	s.open(http.MethodGet, "/healthz", s.healthz)
	s.open(http.MethodGet, "/readyz", s.readyz)
	s.open(http.MethodGet, "/metrics", echo.WrapHandler(s.metrics.Handler()))
	s.open(http.MethodGet, "/openapi.json", serveOpenAPI)

	s.Route(http.MethodPost, "/v1/decisions", ScopeDecide, s.decide)
	s.Route(http.MethodPost, "/v1/evaluate", ScopeEvaluate, s.evaluate)
	s.Route(http.MethodGet, "/v1/policies", ScopeAdmin, s.listPolicies)
	s.Route(http.MethodPost, "/v1/policies/validate", ScopeAdmin, s.validatePolicy)
	s.Route(http.MethodPost, "/v1/policies/reload", ScopeAdmin, s.reloadPolicies)
	s.Route(http.MethodGet, "/v1/decisions", ScopeAudit, s.listDecisions)
	s.Route(http.MethodGet, "/v1/decisions/:id", ScopeAudit, s.getDecision)
	s.Route(http.MethodGet, "/v1/lists", ScopeAudit, s.getLists)
	s.Route(http.MethodGet, "/v1/lists/:name/items", ScopeAudit, s.getListItems)
	s.Route(http.MethodPost, "/v1/lists/:name/items", ScopeReview, s.putListItem)
	s.Route(http.MethodDelete, "/v1/lists/:name/items/:value", ScopeReview, s.deleteListItem)
	s.Route(http.MethodGet, "/v1/policies/versions/:version", ScopeAudit, s.getPolicyVersion)
	s.loopRoutes() // reviews.go: reviews, labels, rule performance
	if err := s.mountConsole(opts.TrustForwardedProto); err != nil {
		return nil, err
	}
	return s, nil
}

// Route adds an authenticated route that needs scope. The decision log's
// read routes (GET /v1/decisions...) are added this way; errors they return
// go through the same error table. A GET route answers HEAD too.
func (s *Server) Route(method, path, scope string, h echo.HandlerFunc) {
	s.open(method, path, s.requireScope(scope)(h)) // wrapped once, not per request
}

// open adds a route as it is, and HEAD beside every GET: the same handler,
// whose body net/http leaves out of the answer.
func (s *Server) open(method, path string, h echo.HandlerFunc) {
	s.e.Add(method, path, h)
	if method == http.MethodGet {
		s.e.Add(http.MethodHead, path, h)
	}
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.e }

// Metrics returns the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// SetDraining makes /readyz answer 503 from now on, so load balancers stop
// sending traffic while a shutdown lets requests in flight finish.
func (s *Server) SetDraining() { s.draining.Store(true) }
