package roundtabletest

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AllSessions, as the session id of SetFault, injects a fault into every
// report request. A session's own fault takes precedence over it.
const AllSessions = "*"

// Fault is what the server does instead of (or before) answering normally.
// Latency combines with any of the others; of the others, the first set in
// field order wins.
type Fault struct {
	// Latency is added before answering.
	Latency time.Duration
	// Hold, when set, holds the request after Latency until the channel is
	// closed (or the client leaves, or the server closes), so that a test
	// acts while a request is in flight without guessing a latency.
	Hold <-chan struct{}
	// Reset closes the connection with a TCP reset before any response.
	Reset bool
	// Status answers with this status (401, 404, 429, 500, 503...) and Body.
	Status int
	// RetryAfter is sent as the Retry-After header with Status ("2", or an HTTP date).
	RetryAfter string
	// Body is the body sent with Status; empty sends {"error": "..."}.
	Body string
	// Malformed answers 200 with a body that is not valid JSON.
	Malformed bool
	// Truncated answers 200 announcing the report's full Content-Length, sends
	// half of it and closes the connection.
	Truncated bool
	// OversizedBytes answers 200 with a JSON body of at least this many
	// bytes, streamed without a Content-Length.
	OversizedBytes int
	// DripInterval answers 200 with the report sent one byte per interval.
	DripInterval time.Duration
	// Times limits the fault to the next Times matching requests; 0 keeps it
	// until cleared.
	Times int
}

// SetFault injects f into the requests for sessionID (or AllSessions),
// replacing the fault set before for it.
func (s *Server) SetFault(sessionID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[sessionID] = &f
}

// ClearFault removes the fault of sessionID (or AllSessions).
func (s *Server) ClearFault(sessionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.faults, sessionID)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string]*Fault{}
}

// takeFault returns the fault for this request and counts it; s.mu is held.
func (s *Server) takeFault(id string) *Fault {
	key := id
	f, ok := s.faults[key]
	if !ok {
		key = AllSessions
		if f, ok = s.faults[key]; !ok {
			return nil
		}
	}
	if f.Times > 0 {
		f.Times--
		if f.Times == 0 {
			delete(s.faults, key)
		}
	}
	c := *f
	return &c
}

// applyFault writes the faulty answer; it reports false when the fault was
// latency only and the normal answer should follow.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, body []byte) bool {
	id := noteOf(r).sessionID
	if body == nil {
		body = []byte(fmt.Sprintf(`{"session_id":%q,"risk_score":10,"biometric_checks":{},"device_checks":{}}`, id))
	}
	switch {
	case f.Reset:
		noteOf(r).cut = true
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return true
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close sends RST instead of FIN
		}
		_ = conn.Close()
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if f.Body != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			_, _ = w.Write([]byte(f.Body))
		} else {
			writeError(w, f.Status, "injected fault: status "+strconv.Itoa(f.Status))
		}
	case f.Malformed:
		bad := body[:len(body)/2]
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(bad)))
		_, _ = w.Write(bad)
	case f.Truncated:
		noteOf(r).cut = true
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body[:len(body)/2])
		// Returning short of Content-Length makes net/http close the connection.
	case f.OversizedBytes > 0:
		s.writeOversized(w, r, id, f.OversizedBytes)
	case f.DripInterval > 0:
		s.drip(w, r, body, f.DripInterval)
	default:
		return false
	}
	return true
}

// writeOversized streams a well-formed report padded to n bytes.
func (s *Server) writeOversized(w http.ResponseWriter, r *http.Request, id string, n int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	fmt.Fprintf(w, `{"session_id":%q,"risk_score":10,"padding":"`, id)
	chunk := []byte(strings.Repeat("a", 32<<10))
	for written := 0; written < n; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil || r.Context().Err() != nil {
			return
		}
		_ = rc.Flush()
	}
	_, _ = w.Write([]byte(`"}`))
}

// drip sends body one byte per interval, stopping when the client leaves.
func (s *Server) drip(w http.ResponseWriter, r *http.Request, body []byte, every time.Duration) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	for i := range body {
		if !s.sleep(r, every) {
			noteOf(r).cut = true
			return
		}
		if _, err := w.Write(body[i : i+1]); err != nil {
			noteOf(r).cut = true
			return
		}
		_ = rc.Flush()
	}
}
