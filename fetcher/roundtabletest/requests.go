package roundtabletest

import (
	"context"
	"net/http"
	"time"
)

// DefaultRequestLog is how many requests the server keeps when
// Options.RequestLog is 0.
const DefaultRequestLog = 4096

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

// requestLog is a ring of the most recent requests and a count of them all.
// Its memory is fixed by its size, however many requests the server serves
// (a demo or a soak runs millions); s.mu guards it.
type requestLog struct {
	ring  []*Request // capacity: the size; the oldest at next once full
	next  int        // where the next entry goes once the ring is full
	total int64      // every request since Start or the last reset
}

// add keeps r, dropping the oldest entry when the ring is full.
func (l *requestLog) add(r *Request, size int) {
	l.total++
	if size <= 0 {
		return
	}
	if len(l.ring) < size {
		l.ring = append(l.ring, r)
		return
	}
	l.ring[l.next] = r
	l.next = (l.next + 1) % size
}

// each calls f for every entry kept, oldest first.
func (l *requestLog) each(f func(*Request)) {
	for i := range l.ring {
		f(l.ring[(l.next+i)%len(l.ring)])
	}
}

// Requests returns a copy of the requests kept (the last Options.RequestLog
// received since Start or the last ResetRequests), oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, 0, len(s.requests.ring))
	s.requests.each(func(r *Request) { out = append(out, *r) })
	return out
}

// RequestCount returns how many of the requests kept named this session
// (any path form).
func (s *Server) RequestCount(sessionID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	s.requests.each(func(r *Request) {
		if r.SessionID == sessionID {
			n++
		}
	})
	return n
}

// RequestTotal returns how many requests the server received since Start or
// the last ResetRequests, those no longer kept included.
func (s *Server) RequestTotal() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.total
}

// ResetRequests empties the request log and its total.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = requestLog{}
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
		s.requests.add(entry, s.logSize)
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
