package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
)

// Keys of values kept on echo.Context.
const (
	ctxRequestID = "verdict.request_id"
	ctxKeyID     = "verdict.key_id"
	ctxErrorCode = "verdict.error_code"
	ctxOutcome   = "verdict.outcome"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-Id"

// requestIDMiddleware takes the caller's X-Request-Id when it is sane (1..128
// characters of [A-Za-z0-9._:-]) or makes one (a UUIDv7), keeps it on the
// context and the request's logger, and returns it as X-Request-Id.
func (s *Server) requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(HeaderRequestID)
		if !saneRequestID(id) {
			id = newID()
		}
		c.Set(ctxRequestID, id)
		c.Response().Header().Set(HeaderRequestID, id)
		l := s.log.With().Str("request_id", id).Logger()
		c.SetRequest(c.Request().WithContext(l.WithContext(c.Request().Context())))
		return next(c)
	}
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

func requestID(c echo.Context) string {
	id, _ := c.Get(ctxRequestID).(string)
	return id
}

// accessLog logs one line per request (never headers or bodies, so never a
// key) and observes the HTTP latency histogram. Errors are written by the
// error handler inside it, so the status logged is the one sent.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		s.metrics.httpInFlight.Inc()
		defer s.metrics.httpInFlight.Dec()
		if err := next(c); err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		req, res := c.Request(), c.Response()
		route := c.Path()
		if route == "" || c.Get(ctxErrorCode) == CodeNotFound {
			route = "unmatched"
		}
		status := res.Status
		s.metrics.httpDuration.WithLabelValues(req.Method, route, strconv.Itoa(status)).Observe(elapsed.Seconds())

		level := zerolog.InfoLevel
		switch {
		case status >= 500:
			level = zerolog.ErrorLevel
		case status >= 400:
			level = zerolog.WarnLevel
		case route == "/healthz" || route == "/readyz" || route == "/metrics":
			level = zerolog.DebugLevel
		}
		ev := s.log.WithLevel(level).
			Str("request_id", requestID(c)).
			Str("method", req.Method).
			Str("path", req.URL.Path).
			Str("route", route).
			Int("status", status).
			Int64("bytes_out", res.Size).
			Dur("latency", elapsed).
			Str("remote_ip", c.RealIP())
		if k := keyID(c); k != "" {
			ev = ev.Str("key_id", k)
		}
		if code, ok := c.Get(ctxErrorCode).(string); ok {
			ev = ev.Str("error_code", code)
		}
		if o, ok := c.Get(ctxOutcome).(string); ok {
			ev = ev.Str("outcome", o)
		}
		ev.Msg("request")
		return nil
	}
}

// recoverMiddleware turns a panic in a handler into a 500 JSON error and an
// error log with the stack, instead of a dropped connection.
func (s *Server) recoverMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error().Str("request_id", requestID(c)).Str("panic", fmt.Sprint(r)).Stack().Msg("handler panicked")
				err = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error", err: fmt.Errorf("panic: %v", r)}
			}
		}()
		return next(c)
	}
}
