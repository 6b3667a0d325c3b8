package console

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// filterFields are the decision filters the search form offers, in the
// API's parameter names.
var filterFields = []string{"session_id", "user_id", "outcome", "rule", "policy_version", "since", "until"}

// decisionsView is the decisions page's data.
type decisionsView struct {
	Q        map[string]string // the filters as typed
	Outcomes []engine.Outcome
	Error    string
	NoLog    bool
	Traces   []*audit.Trace
	NextURL  string
	Searched bool
}

// decisions shows one page of the log, newest first, with the API's filters
// and its keyset cursor (next page: the older traces), never an offset.
func (c *Console) decisions(w http.ResponseWriter, r *http.Request, s *session) {
	v := decisionsView{Q: map[string]string{}, Outcomes: []engine.Outcome{engine.Allow, engine.Review, engine.Deny}}
	if c.opts.Log == nil || c.opts.ParseFilter == nil {
		v.NoLog = true
		c.render(w, r, s, http.StatusServiceUnavailable, "decisions", "Decisions", v)
		return
	}
	raw, err := url.ParseQuery(r.URL.RawQuery) // as the API reads it: a broken query is an error, not a filter dropped
	if err != nil {
		v.Error = "The search could not be read: " + err.Error()
		c.render(w, r, s, http.StatusBadRequest, "decisions", "Decisions", v)
		return
	}
	q := url.Values{}
	for name, vals := range raw {
		if len(vals) > 0 && vals[0] != "" { // an empty form field filters nothing
			q[name] = vals[:1]
		}
	}
	for _, f := range filterFields {
		v.Q[f] = q.Get(f)
		if v.Q[f] != "" {
			v.Searched = true
		}
	}
	f, err := c.opts.ParseFilter(q, c.now())
	if err != nil {
		v.Error = err.Error()
		c.render(w, r, s, http.StatusBadRequest, "decisions", "Decisions", v)
		return
	}
	page, err := c.opts.Log.Query(r.Context(), f)
	if err != nil {
		status := http.StatusServiceUnavailable
		v.Error = "The decision log is unavailable; retry."
		if errors.Is(err, audit.ErrInvalid) {
			status, v.Error = http.StatusBadRequest, err.Error()
		}
		c.render(w, r, s, status, "decisions", "Decisions", v)
		return
	}
	v.Traces = page.Traces
	if page.NextCursor != "" {
		next := url.Values{}
		for k, vals := range q {
			next[k] = vals
		}
		next.Set("cursor", page.NextCursor)
		v.NextURL = "/console/decisions?" + next.Encode()
	}
	c.render(w, r, s, http.StatusOK, "decisions", "Decisions", v)
}
