package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// decisionView is a decision page's data.
type decisionView struct {
	T            *audit.Trace
	Rep          *report.Report // the decoded report; nil when none or it does not decode
	Checks       []checkRow
	Detected     int
	ReportError  string
	Report       string // the report as received, as text
	ReportBase64 bool   // Report is base64: the bytes were not UTF-8
	Context      string // the caller's context, indented
	Rules        []ruleView
	Shadow       *shadowView
	Review       *reviewRow    // the review the decision opened, nil when none
	Labels       []audit.Label // the labels that apply, oldest first: the last is in force
	SourceFrom   string        // where the policy's source came from, "" when unknown
	SourceError  string
}

// checkRow is one Roundtable check of the report.
type checkRow struct {
	Group, Name string
	Value       report.CheckValue
	Detected    bool
}

// ruleView is a fired rule with the values it read and its source lines.
type ruleView struct {
	engine.FiredRule
	Values []inputRow
	Source []sourceLine
}

// inputRow is one value a rule read.
type inputRow struct{ Path, Value string }

// shadowView is the shadow result.
type shadowView struct {
	*audit.Shadow
	Rules []ruleView
}

// decision shows one decision: outcome and reason, the report's checks, each
// fired rule with what it read and its lines in that policy version, the
// shadow result, and the raw trace one click away.
func (c *Console) decision(w http.ResponseWriter, r *http.Request, s *session) {
	t, ok := c.loadTrace(w, r, s)
	if !ok {
		return
	}
	v := decisionView{T: t, Context: indent(t.Context)}
	if len(t.Report) > 0 {
		if utf8.Valid(t.Report) {
			v.Report = string(t.Report)
		} else {
			v.Report, v.ReportBase64 = base64Std(t.Report), true
		}
		rep, err := report.Decode(t.Report)
		if err != nil {
			v.ReportError = err.Error()
		} else {
			v.Rep, v.Checks = rep, checkRows(rep)
			for _, ch := range v.Checks {
				if ch.Detected {
					v.Detected++
				}
			}
		}
	}
	src, from, err := c.policySource(r.Context(), t.Policy.Version)
	var spans map[string][2]int
	switch {
	case err == nil:
		v.SourceFrom, spans = from, c.sources.spans(t.Policy.Version)
	case errors.Is(err, ErrNoSource):
		v.SourceError = "The source of this policy version is neither live nor kept in the decision log: only its version is known."
	default:
		v.SourceError = "The policy's source could not be read."
	}
	v.Rules = ruleViews(t.FiredRules, src, spans)
	if t.Shadow != nil {
		ssrc, _, serr := c.policySource(r.Context(), t.Shadow.Policy.Version)
		var sspans map[string][2]int
		if serr == nil {
			sspans = c.sources.spans(t.Shadow.Policy.Version)
		}
		v.Shadow = &shadowView{Shadow: t.Shadow, Rules: ruleViews(t.Shadow.FiredRules, ssrc, sspans)}
	}
	if rv := c.reviewQueue(); rv != nil {
		if rev, err := rv.Review(r.Context(), t.ID); err == nil {
			row := c.reviewRow(rev, c.now())
			v.Review = &row
		}
	}
	if lb, ok := c.opts.Log.(audit.Labels); ok {
		if ls, err := lb.LabelsOf(r.Context(), t); err == nil {
			v.Labels = ls
		}
	}
	c.render(w, r, s, http.StatusOK, "decision", "Decision "+t.ID, v)
}

// traceJSON answers the raw trace as the API does (GET /v1/decisions/{id}), indented.
func (c *Console) traceJSON(w http.ResponseWriter, r *http.Request, s *session) {
	t, ok := c.loadTrace(w, r, s)
	if !ok {
		return
	}
	body, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		c.errorPage(w, r, s, http.StatusInternalServerError, "Error", "The trace could not be encoded.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(body, '\n'))
}

// loadTrace reads the trace of the {id} in the path, or writes the error page.
func (c *Console) loadTrace(w http.ResponseWriter, r *http.Request, s *session) (*audit.Trace, bool) {
	if c.opts.Log == nil {
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "No decision log", "This server runs without a decision log.")
		return nil, false
	}
	id := r.PathValue("id")
	t, err := c.opts.Log.Get(r.Context(), id)
	switch {
	case errors.Is(err, audit.ErrNotFound):
		c.errorPage(w, r, s, http.StatusNotFound, "No such decision", "There is no decision with this id.")
		return nil, false
	case err != nil:
		c.errorPage(w, r, s, http.StatusServiceUnavailable, "Decision log unavailable", "The decision log could not be read; retry.")
		return nil, false
	}
	return t, true
}

// checkRows lists the report's checks, device first, documented checks in
// Roundtable's order and checks it added later after them by name.
func checkRows(rep *report.Report) []checkRow {
	var out []checkRow
	add := func(group string, known []string, checks report.Checks) {
		for _, n := range known {
			v := checks.Get(n)
			out = append(out, checkRow{Group: group, Name: n, Value: v, Detected: v == report.Detected})
		}
		var extra []string
		for n := range checks {
			if !slices.Contains(known, n) {
				extra = append(extra, n)
			}
		}
		slices.Sort(extra)
		for _, n := range extra {
			v := checks[n]
			out = append(out, checkRow{Group: group, Name: n, Value: v, Detected: v == report.Detected})
		}
	}
	add("device", report.DeviceCheckNames, rep.DeviceChecks)
	add("biometric", report.BiometricCheckNames, rep.BiometricChecks)
	return out
}

func ruleViews(fired []engine.FiredRule, src []byte, spans map[string][2]int) []ruleView {
	out := make([]ruleView, len(fired))
	for i, fr := range fired {
		rv := ruleView{FiredRule: fr}
		for _, in := range fr.Inputs.Sorted() {
			b, err := json.Marshal(in.Value)
			if err != nil {
				b = []byte("?")
			}
			rv.Values = append(rv.Values, inputRow{Path: in.Path, Value: string(b)})
		}
		if src != nil {
			rv.Source = ruleSource(src, spans, fr.ID)
		}
		out[i] = rv
	}
	return out
}

// indent pretty-prints JSON for reading, with <, > and & as themselves
// rather than \u003c escapes (the page escapes them for HTML; the raw trace
// keeps the bytes as stored). Anything that is not JSON comes back as it is.
func indent(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return string(raw)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
