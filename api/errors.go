package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// Error is an API error: an HTTP status, a stable machine-readable code and a
// message for people. Every error answer is {"error": {"code", "message"}}
// (plus "details" for policy load errors and readiness failures).
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
	err     error  // the cause, for logs only
}

// Error implements error: status, code and message.
func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.err }

// The error codes the API returns. They are part of the contract (see
// api/openapi.json); messages are not.
const (
	CodeMalformedJSON       = "malformed_json"           // 400: not JSON, not one object, trailing data
	CodeMalformedBody       = "malformed_body"           // 400: a body that cannot be read (a broken gzip stream)
	CodeUnknownField        = "unknown_field"            // 400: a field the request type does not have
	CodeDuplicateField      = "duplicate_field"          // 400: a member name twice in one JSON object
	CodeInvalidField        = "invalid_field"            // 400: a field of the wrong JSON type
	CodeInvalidSessionID    = "invalid_session_id"       // 400
	CodeInvalidContext      = "invalid_context"          // 400: context not an object, or a field of the wrong type for the policy
	CodeInvalidReport       = "invalid_report"           // 400: the inline report of /v1/evaluate
	CodeInvalidHeader       = "invalid_header"           // 400: e.g. a malformed Idempotency-Key
	CodeUnauthenticated     = "unauthenticated"          // 401: no key or an unknown key
	CodeForbidden           = "forbidden"                // 403: the key lacks the route's scope
	CodeNotFound            = "not_found"                // 404: no such route
	CodeMethodNotAllowed    = "method_not_allowed"       // 405
	CodeBodyTooLarge        = "body_too_large"           // 413
	CodeUnsupportedMedia    = "unsupported_media_type"   // 415
	CodeUnsupportedEncoding = "unsupported_encoding"     // 415: a Content-Encoding other than gzip or identity
	CodeInvalidPolicy       = "invalid_policy"           // 422: a policy set that does not load
	CodeNotReady            = "not_ready"                // 503: no policy set loaded, or a readiness check fails
	CodeDecisionLogFailed   = "decision_log_unavailable" // 503: the decision could not be recorded
	CodeIdempotencyConflict = "idempotency_conflict"     // 409: an Idempotency-Key reused with another body
	CodeReviewResolved      = "review_resolved"          // 409: the review was resolved already
	CodeReviewClaimed       = "review_claimed"           // 409: another analyst's claim on the review holds
	CodeTimeout             = "timeout"                  // 503: the request ran out of time
	CodeInternal            = "internal"                 // 500: a bug; the message says nothing more
	CodeBadRequest          = "bad_request"              // any other 4xx Echo raises, and a request net/http cannot parse (JSONErrors)
	CodeInvalidQuery        = "invalid_query"            // 400: a bad filter, limit or cursor of GET /v1/decisions
	CodeListNotFound        = "list_not_found"           // 404: no policy of the live set declares the list
	CodeItemNotFound        = "item_not_found"           // 404: DELETE of a value the list does not hold
	CodeListReadOnly        = "list_read_only"           // 409: the list is file-backed
	CodeInvalidItem         = "invalid_item"             // 400: a list value, comment, ttl or expires_at the list cannot take
)

// Sentinel errors of the api package itself, mapped in toError.
var (
	errNoPolicySet = errors.New("no policy set is loaded")
	errNoReloader  = errors.New("policy reload is not configured")
)

// toError maps any error a handler or middleware returns to an *Error. This
// is the one table from domain errors to HTTP statuses.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return fromEchoError(he)
	}
	var ce *engine.ContextError
	var le engine.LoadErrors
	var le1 *engine.LoadError
	switch {
	case errors.Is(err, report.ErrInvalidSessionID):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidSessionID, Message: "session_id: " + err.Error(), err: err}
	case errors.As(err, &ce):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidContext, Message: ce.Error(), err: err}
	case errors.Is(err, report.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidReport, Message: "report: " + err.Error(), err: err}
	case errors.As(err, &le):
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeInvalidPolicy, Message: fmt.Sprintf("the policy set does not load: %d error(s)", len(le)), Details: []*engine.LoadError(le), err: err}
	case errors.As(err, &le1):
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeInvalidPolicy, Message: "the policy set does not load: 1 error(s)", Details: []*engine.LoadError{le1}, err: err}
	case errors.Is(err, errNoPolicySet):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeNotReady, Message: "no policy set is loaded yet", err: err}
	case errors.Is(err, errNoReloader):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeNotReady, Message: err.Error(), err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeTimeout, Message: "the request ran out of time", err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error", err: err}
}

// fromEchoError maps Echo's own errors (routing, its middleware).
func fromEchoError(he *echo.HTTPError) *Error {
	msg := http.StatusText(he.Code)
	if s, ok := he.Message.(string); ok && s != "" {
		msg = s
	}
	e := &Error{Status: he.Code, Message: msg, err: he}
	switch he.Code {
	case http.StatusNotFound:
		e.Code, e.Message = CodeNotFound, "no such route"
	case http.StatusMethodNotAllowed:
		e.Code, e.Message = CodeMethodNotAllowed, "method not allowed on this route"
	case http.StatusRequestEntityTooLarge:
		e.Code = CodeBodyTooLarge
	case http.StatusUnsupportedMediaType:
		e.Code = CodeUnsupportedMedia
	case http.StatusUnauthorized:
		e.Code = CodeUnauthenticated
	case http.StatusForbidden:
		e.Code = CodeForbidden
	case http.StatusServiceUnavailable:
		e.Code = CodeTimeout
	case http.StatusBadRequest:
		e.Code = CodeMalformedJSON
	default:
		if he.Code >= 500 {
			e.Status, e.Code, e.Message = http.StatusInternalServerError, CodeInternal, "internal error"
		} else {
			e.Code = CodeBadRequest
		}
	}
	return e
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error *Error `json:"error"`
}

// handleError is Echo's HTTPErrorHandler: it writes every error as JSON and,
// for a server-side failure (5xx), keeps its cause for the request's log
// line.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e := toError(err)
	if e.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="verdict"`)
	}
	st := state(c)
	if e.Status >= 500 {
		st.cause = errorChain(err)
	}
	st.errorCode = e.Code
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(e.Status)
		return
	}
	_ = c.JSON(e.Status, errorBody{Error: e})
}

// errorChain is what a log says of a failure: the error's text and, where an
// *Error (whose text is what the caller was told) wraps a cause, the cause's
// whole wrapped chain too.
func errorChain(err error) string {
	text := err.Error()
	var e *Error
	if errors.As(err, &e) && e.err != nil {
		text += ": " + e.err.Error()
	}
	return text
}

// apiError builds an *Error.
func apiError(status int, code, format string, a ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}
