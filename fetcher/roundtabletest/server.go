// Package roundtabletest is a real HTTP server that speaks Roundtable's report
// API from a folder of report JSON files, with fault injection, for tests,
// demos and benchmarks.
package roundtabletest

// STUB: the agreed API, with placeholder bodies; the fetcher work replaces it.

import "errors"

// Options configures a Server.
type Options struct {
	ReportsDir string // folder of report JSON files, indexed by the session_id inside each
	APIKey     string // the bearer key it accepts; empty accepts any
	Addr       string // listen address; empty picks a free loopback port
}

// Server is a running simulator.
type Server struct{}

// Start loads the reports and starts serving.
func Start(opts Options) (*Server, error) {
	return nil, errors.New("roundtabletest: not implemented yet")
}

// URL is the base URL to give a fetcher.Client.
func (s *Server) URL() string { return "" }

// Close stops the server.
func (s *Server) Close() error { return nil }
