package roundtabletest

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Options configures a Server.
type Options struct {
	// ReportsDir is a folder of report JSON files, indexed by the session_id
	// inside each top-level *.json file (or the file name without .json when
	// the file has none). Empty starts with no reports.
	ReportsDir string
	// APIKey is the bearer key the server accepts; empty accepts any request.
	APIKey string
	// Addr is the listen address; empty picks a free port on 127.0.0.1.
	Addr string
	// Latency is added to every report request (before any fault's own).
	Latency time.Duration
	// Synthesize answers a session the folder lacks with a report made from
	// its id (a risk score from a hash of it, every check "Not detected";
	// the same report for the same id, never stored) instead of 404, for load
	// tests and soaks over millions of sessions.
	Synthesize bool
	// RequestLog is how many of the most recent requests Requests and
	// RequestCount see (default DefaultRequestLog; negative keeps none, and
	// RequestTotal still counts). The log's memory is fixed by it, however
	// long the server runs.
	RequestLog int
	// Logger receives warnings (skipped files) and one line per request at
	// debug level. The zero Logger is silent.
	Logger zerolog.Logger
}

// Server is a running simulator. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	listener net.Listener
	srv      *http.Server
	closing  chan struct{}
	wg       sync.WaitGroup

	mu       sync.Mutex
	reports  map[string][]byte
	faults   map[string]*Fault // by session id; AllSessions for every session
	requests requestLog
	logSize  int // Options.RequestLog with its default
}

// Start loads the reports and starts serving.
func Start(opts Options) (*Server, error) {
	s := &Server{
		opts:    opts,
		closing: make(chan struct{}),
		reports: map[string][]byte{},
		faults:  map[string]*Fault{},
		logSize: opts.RequestLog,
	}
	if s.logSize == 0 {
		s.logSize = DefaultRequestLog
	}
	if opts.ReportsDir != "" {
		if err := s.loadDir(opts.ReportsDir); err != nil {
			return nil, err
		}
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("roundtabletest: listen on %s: %w", addr, err)
	}
	s.listener = ln
	s.srv = &http.Server{
		Handler:           s.record(http.HandlerFunc(s.route)),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          nil,
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Error().Err(err).Msg("roundtable simulator stopped")
		}
	}()
	return s, nil
}

// URL is the base URL to give a fetcher.Client, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Close stops the server, ends requests held by latency or a slow drip, and
// waits for its goroutines and handlers. It may be called more than once.
func (s *Server) Close() error {
	select {
	case <-s.closing:
		return nil
	default:
	}
	// Connections first, so that a held handler, once woken, can no longer
	// send even the default empty answer.
	err := s.srv.Close()
	close(s.closing)
	s.wg.Wait()
	return err
}

// route sends GET requests for either report path form to serveReport and
// answers everything else 404. It matches on the path as sent and never
// redirects (http.ServeMux would clean "/../" with a redirect), so the request
// log shows exactly which paths a client reached.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	id, ok := reportSession(r)
	if !ok || r.Method != http.MethodGet {
		writeError(w, http.StatusNotFound, "no such endpoint")
		return
	}
	s.serveReport(w, r, id)
}

// reportSession returns the session id a report request names, from
// /v1/sessions/{id}/report (one path segment, unescaped) or
// /v1/sessions/report?sessionId=; ok is false for any other path.
func reportSession(r *http.Request) (id string, ok bool) {
	const prefix, suffix = "/v1/sessions/", "/report"
	p := r.URL.EscapedPath()
	if p == "/v1/sessions/report" {
		return r.URL.Query().Get("sessionId"), true
	}
	if !strings.HasPrefix(p, prefix) || !strings.HasSuffix(p, suffix) || len(p) <= len(prefix)+len(suffix) {
		return "", false
	}
	seg := p[len(prefix) : len(p)-len(suffix)]
	if strings.Contains(seg, "/") {
		return "", false
	}
	id, err := url.PathUnescape(seg)
	return id, err == nil
}

// serveReport answers one report request: bearer check, latency, faults,
// then the report or 404.
func (s *Server) serveReport(w http.ResponseWriter, r *http.Request, id string) {
	noteOf(r).sessionID = id
	if s.opts.APIKey != "" {
		want := "Bearer " + s.opts.APIKey
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer key")
			return
		}
	}
	if !s.sleep(r, s.opts.Latency) {
		return
	}
	s.mu.Lock()
	body, found := s.reports[id]
	f := s.takeFault(id)
	s.mu.Unlock()
	if !found && s.opts.Synthesize {
		body, found = synthesize(id), true
	}
	if f != nil {
		if !s.sleep(r, f.Latency) || !s.hold(r, f.Hold) {
			return
		}
		if s.applyFault(w, r, f, body) {
			return
		}
	}
	if !found {
		writeError(w, http.StatusNotFound, "no report for this session")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	_, _ = w.Write(body)
}

// sleep waits d unless the client goes away or the server closes first; it
// reports whether to go on.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closing:
		return false
	}
}

// hold waits for release to close unless the client goes away or the server
// closes first; it reports whether to go on. A nil release does not wait.
func (s *Server) hold(r *http.Request, release <-chan struct{}) bool {
	if release == nil {
		return true
	}
	select {
	case <-release:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closing:
		return false
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"error\":%q}\n", msg)
}
