package api

import (
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
	for name, vals := range q {
		if len(vals) != 1 {
			return f, fmt.Errorf("%w: parameter %s given %d times", audit.ErrInvalid, name, len(vals))
		}
		v := vals[0]
		var err error
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
			f.Limit, err = strconv.Atoi(v)
			if err == nil && f.Limit < 1 {
				err = fmt.Errorf("must be at least 1")
			}
		case "cursor":
			f.Cursor = v
		default:
			return f, fmt.Errorf("%w: unknown parameter %q", audit.ErrInvalid, name)
		}
		if err != nil {
			return f, fmt.Errorf("%w: %s: %v", audit.ErrInvalid, name, err)
		}
	}
	_, err := f.Normalize()
	return f, err
}
