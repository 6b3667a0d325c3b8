package report

import "errors"

// The errors a fetch can end in. Callers branch on them with errors.Is; the
// error values returned by Client wrap one of these with the detail.
var (
	// ErrNotFound: Roundtable has no report for this session (404).
	ErrNotFound = errors.New("roundtable has no report for this session")
	// ErrUnauthorized: Roundtable refused the key (401/403). A configuration fault, never retried.
	ErrUnauthorized = errors.New("roundtable refused the API key")
	// ErrRateLimited: Roundtable kept answering 429 within the request's budget.
	ErrRateLimited = errors.New("roundtable rate limited the request")
	// ErrUnavailable: 5xx, timeouts, connection errors, or the circuit breaker is open.
	ErrUnavailable = errors.New("roundtable is unavailable")
	// ErrInvalid: the body is not a well-formed report (undecodable, too large, fails validation).
	ErrInvalid = errors.New("roundtable returned an invalid report")
	// ErrInvalidSessionID: the session id is empty, too long, or has characters outside [A-Za-z0-9_-].
	ErrInvalidSessionID = errors.New("invalid session id")
)

// Report statuses, as the decision API names them.
const (
	StatusOK           = "ok"
	StatusNotFound     = "not_found"
	StatusUnavailable  = "unavailable"
	StatusRateLimited  = "rate_limited"
	StatusInvalid      = "invalid"
	StatusUnauthorized = "unauthorized"
)

// Status maps a fetch error to the report_status the decision API returns.
// A nil error is "ok"; an error of no known kind counts as "unavailable".
func Status(err error) string {
	switch {
	case err == nil:
		return StatusOK
	case errors.Is(err, ErrNotFound):
		return StatusNotFound
	case errors.Is(err, ErrUnauthorized):
		return StatusUnauthorized
	case errors.Is(err, ErrRateLimited):
		return StatusRateLimited
	case errors.Is(err, ErrInvalid):
		return StatusInvalid
	default:
		return StatusUnavailable
	}
}
