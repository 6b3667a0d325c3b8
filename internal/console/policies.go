package console

import (
	"errors"
	"net/http"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// policyRow is one live policy with its source, when it can be shown.
type policyRow struct {
	engine.PolicyInfo
	RuleIDs []string
}

// policiesView is the policies page's data.
type policiesView struct {
	LoadedAt time.Time
	Policies []policyRow
}

// policies lists the live set: each policy's name, version, mode, match and rules.
func (c *Console) policies(w http.ResponseWriter, r *http.Request, s *session) {
	set := c.opts.Live.Load()
	if set == nil {
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "No policy set", "No policy set is loaded.")
		return
	}
	v := policiesView{LoadedAt: set.LoadedAt()}
	for _, p := range set.Policies() {
		row := policyRow{PolicyInfo: p}
		if pol := set.Policy(p.Name); pol != nil {
			row.RuleIDs = pol.RuleIDs()
		}
		v.Policies = append(v.Policies, row)
	}
	c.render(w, r, s, http.StatusOK, "policies", "Policies", v)
}

// policyView is one policy's page.
type policyView struct {
	Info        engine.PolicyInfo
	Lines       []sourceLine
	SourceFrom  string
	SourceError string
}

// policy shows one live policy's source, numbered, in its loaded version.
func (c *Console) policy(w http.ResponseWriter, r *http.Request, s *session) {
	set := c.opts.Live.Load()
	var p *engine.Policy
	if set != nil {
		p = set.Policy(r.PathValue("name"))
	}
	if p == nil {
		c.errorPage(w, r, s, http.StatusNotFound, "No such policy", "No live policy has this name.")
		return
	}
	v := policyView{Info: p.Info()}
	src, from, err := c.policySource(r.Context(), v.Info.Version)
	switch {
	case err == nil:
		v.Lines, v.SourceFrom = numbered(src), from
	case errors.Is(err, ErrNoSource):
		v.SourceError = "The source of this version is not at hand."
	default:
		v.SourceError = "The source could not be read."
	}
	c.render(w, r, s, http.StatusOK, "policy", "Policy "+v.Info.Name, v)
}
