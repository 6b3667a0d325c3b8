package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
)

// ctxState is the key of the per-request state kept on echo.Context.
const ctxState = "verdict.request"

// reqState is what the middleware and handlers note about one request, for
// the access log and the decision record. It is stored once per request.
type reqState struct {
	requestID string
	keyID     string // set by auth
	errorCode string // set by the error handler
	cause     string // set by the error handler on a 5xx: the wrapped error chain
	outcome   string // set by the decision handlers
}

// state returns the request's state; a zero one (never nil) outside the
// middleware chain.
func state(c echo.Context) *reqState {
	if st, ok := c.Get(ctxState).(*reqState); ok {
		return st
	}
	st := &reqState{}
	c.Set(ctxState, st)
	return st
}

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-Id"

// frame is the one middleware around every request: the request id, the
// request timeout, panic recovery, the access log and the HTTP metrics. It
// is one function rather than five because Echo wraps global middleware
// anew on every request.
func (s *Server) frame(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		id := c.Request().Header.Get(HeaderRequestID)
		if !saneRequestID(id) {
			id = s.ids.next()
		}
		st := &reqState{requestID: id}
		c.Set(ctxState, st)
		c.Response().Header()[HeaderRequestID] = []string{id}
		s.metrics.httpInFlight.Inc()
		if err := s.guard(c, next); err != nil {
			c.Error(err) // the error handler writes it; the status logged is the one sent
		}
		s.metrics.httpInFlight.Dec()
		s.logRequest(c, st, time.Since(start))
		return nil
	}
}

// guard runs the handler under the request timeout and turns a panic into
// a 500 JSON error with the stack in the log, instead of a dropped
// connection. POST /v1/decisions bounds its own waits (see Server.record)
// and skips the deadline context.
func (s *Server) guard(c echo.Context, next echo.HandlerFunc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.log.Error().Str("request_id", requestID(c)).Str("panic", fmt.Sprint(r)).Stack().Msg("handler panicked")
			err = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error", err: fmt.Errorf("panic: %v", r)}
		}
	}()
	if c.Path() != "/v1/decisions" {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.requestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
	}
	return next(c)
}

// requestIDs makes request ids: a random per-process prefix and a counter,
// e.g. "4f9c2a7d01b3e8a6-000000000000002a". Unique across replicas (64
// random bits) and cheap: no system call per request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (r *requestIDs) next() string {
	var buf [16]byte
	n := r.n.Add(1)
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		buf[i] = digits[n&0xf]
		n >>= 4
	}
	return r.prefix + string(buf[:])
}

func saneRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_' || ch == ':' || ch == '-') {
			return false
		}
	}
	return true
}

// newID returns a UUIDv7: unique and sortable by time.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil { // only when the random source fails
		return uuid.NewString()
	}
	return id.String()
}

func requestID(c echo.Context) string { return state(c).requestID }

// logRequest logs one line per request (never headers or bodies, so never
// a key) and observes the HTTP latency histogram.
func (s *Server) logRequest(c echo.Context, st *reqState, elapsed time.Duration) {
	req, res := c.Request(), c.Response()
	route := c.Path()
	if route == "" || st.errorCode == CodeNotFound {
		route = "unmatched"
	}
	status := res.Status
	s.metrics.observeHTTP(methodLabel(req.Method), route, status, elapsed)

	level := zerolog.InfoLevel
	switch {
	case status >= 500:
		level = zerolog.ErrorLevel
	case status >= 400:
		level = zerolog.WarnLevel
	case route == "/healthz" || route == "/readyz" || route == "/metrics":
		level = zerolog.DebugLevel
	}
	ev := s.log.WithLevel(level)
	if ev == nil {
		return
	}
	ev = ev.Str("request_id", st.requestID).
		Str("method", req.Method).
		Str("path", req.URL.Path).
		Str("route", route).
		Int("status", status).
		Int64("bytes_out", res.Size).
		Dur("latency", elapsed).
		Str("remote_ip", c.RealIP())
	if st.keyID != "" {
		ev = ev.Str("key_id", st.keyID)
	}
	if st.errorCode != "" {
		ev = ev.Str("error_code", st.errorCode)
	}
	if st.cause != "" {
		ev = ev.Str("error", st.cause)
	}
	if st.outcome != "" {
		ev = ev.Str("outcome", st.outcome)
	}
	ev.Msg("request")
}

// methodLabel bounds the method label of the HTTP metrics: a client can send
// any method name.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions:
		return m
	}
	return "OTHER"
}
