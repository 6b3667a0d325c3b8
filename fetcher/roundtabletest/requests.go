package roundtabletest

import (
	"context"
	"net/http"
	"time"
)

// Request is one request the server received, as sent.
type Request struct {
	Method    string
	Path      string // the escaped path as sent, e.g. /v1/sessions/abc/report
	RawQuery  string
	SessionID string // from the path or the sessionId parameter; empty for other endpoints
	Auth      bool   // an Authorization header was present
	Status    int    // status answered; 0 when the connection was reset or cut
	Time      time.Time
}

// Requests returns a copy of every request received since Start or the last
// ResetRequests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// RequestCount returns how many requests named this session (any path form).
func (s *Server) RequestCount(sessionID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.SessionID == sessionID {
			n++
		}
	}
	return n
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// record logs each request as it arrives (so a test that has seen its
// client give up still finds the request logged), and completes the entry
// with the status once answered.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.wg.Add(1) // Close waits for handlers too
		defer s.wg.Done()
		sw := &statusWriter{ResponseWriter: w}
		entry := &Request{
			Method:    r.Method,
			Path:      r.URL.EscapedPath(),
			RawQuery:  r.URL.RawQuery,
			SessionID: sessionOf(r),
			Auth:      r.Header.Get("Authorization") != "",
			Time:      time.Now(),
		}
		s.mu.Lock()
		s.requests = append(s.requests, entry)
		s.mu.Unlock()
		note := &reqNote{}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), noteKey{}, note)))
		s.mu.Lock()
		entry.Status = sw.status
		if note.cut {
			entry.Status = 0
		}
		s.mu.Unlock()
		s.opts.Logger.Debug().Str("method", entry.Method).Str("path", entry.Path).
			Str("query", entry.RawQuery).Int("status", sw.status).Msg("roundtable simulator request")
	})
}

// sessionOf returns the session a report request names, in either form.
func sessionOf(r *http.Request) string {
	id, _ := reportSession(r)
	return id
}

// reqNote is what a handler tells record about a request.
type reqNote struct {
	sessionID string
	cut       bool // connection reset or body cut short
}

type noteKey struct{}

// noteOf returns the request's note (a throwaway one outside record).
func noteOf(r *http.Request) *reqNote {
	if n, ok := r.Context().Value(noteKey{}).(*reqNote); ok {
		return n
	}
	return &reqNote{}
}
