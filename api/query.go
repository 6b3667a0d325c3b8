package api

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// filterFromQuery reads an audit.Filter from URL query parameters: session_id,
// user_id, outcome, rule, policy_version, since, until, limit, cursor. Times
// are RFC 3339, or a duration back from now such as "24h" or "7d". Unknown
// parameters are an error, so a misspelt filter never silently matches all.
// Errors wrap audit.ErrInvalid (a 400 invalid_query).
func filterFromQuery(q url.Values, now time.Time) (audit.Filter, error) {
	var f audit.Filter
	err := eachParam(q, func(name, v string) (err error) {
		switch name {
		case "session_id":
			f.SessionID = v
		case "user_id":
			f.UserID = v
		case "outcome":
			f.Outcome = engine.Outcome(v)
		case "rule":
			f.Rule = v
		case "policy_version":
			f.PolicyVersion = v
		case "since":
			f.Since, err = audit.ParseTime(v, now)
		case "until":
			f.Until, err = audit.ParseTime(v, now)
		case "limit":
			f.Limit, err = parseLimit(v)
		case "cursor":
			f.Cursor = v
		default:
			return errUnknownParam
		}
		return err
	})
	if err != nil {
		return f, err
	}
	_, err = f.Normalize()
	return f, err
}

// errUnknownParam is what an eachParam callback returns for a parameter
// its route does not take.
var errUnknownParam = errors.New("unknown parameter")

// eachParam calls set for every query parameter, each of which must be given
// once, so a repeated or misspelt filter never silently matches everything.
// Errors wrap audit.ErrInvalid (a 400 invalid_query) and name the parameter.
func eachParam(q url.Values, set func(name, value string) error) error {
	for name, vals := range q {
		if len(vals) != 1 {
			return fmt.Errorf("%w: parameter %s given %d times", audit.ErrInvalid, name, len(vals))
		}
		if err := set(name, vals[0]); errors.Is(err, errUnknownParam) {
			return fmt.Errorf("%w: unknown parameter %q", audit.ErrInvalid, name)
		} else if err != nil {
			return fmt.Errorf("%w: %s: %v", audit.ErrInvalid, name, err)
		}
	}
	return nil
}

// parseLimit reads a page size: a whole number, at least 1.
func parseLimit(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err == nil && n < 1 {
		err = errors.New("must be at least 1")
	}
	return n, err
}
