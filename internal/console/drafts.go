package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
)

// draftView is the drafts page: a draft policy, what validation found and
// what a backtest found.
type draftView struct {
	Draft, File  string
	Since, Until string
	Validated    bool
	Valid        bool
	Policy       *engine.PolicyRef
	Errors       []*engine.LoadError
	Lines        []sourceLine // the draft, numbered, error lines marked
	Backtest     *audit.ReplayReport
	BacktestErr  string
	Replaces     string // the live policy the draft replaces in the backtest, "" when it is added
	Matrix       []matrixRow
	Labels       *labelResults // nil when the log keeps no labels
}

// labelResults are a backtest against the fraud labels: for the labelled
// decisions, what the stored policies answered and what the draft would.
type labelResults struct {
	Labels int64 // labels in the log
	Rows   []labelRow
}

// labelRow is one outcome's decisions by the label in force on them.
type labelRow struct {
	Outcome                  engine.Outcome
	StoredFraud, StoredLegit int64 // every decision of the window (the stored outcome)
	DraftFraud, DraftLegit   int64 // the decisions decided again
}

// labelTally counts the draft's outcomes by label, from every replay worker.
type labelTally struct {
	idx    *audit.LabelIndex
	counts [3][2]atomic.Int64 // outcome severity × (fraud, legitimate)
}

func (lt *labelTally) wrap(decide audit.Decider) audit.Decider {
	return func(in audit.ReplayInput) engine.Decision {
		d := decide(in)
		var session, user string
		if in.Report != nil {
			session, user = in.Report.SessionID, in.Report.UserID
		}
		sev := d.Outcome.Severity()
		if sev < 0 {
			return d
		}
		switch lt.idx.Label(in.ID, session, user, in.DecidedAt.UnixMicro()) {
		case audit.LabelFraud:
			lt.counts[sev][0].Add(1)
		case audit.LabelLegitimate:
			lt.counts[sev][1].Add(1)
		}
		return d
	}
}

// labelsFor indexes the log's labels for a backtest, or nil without labels.
func (c *Console) labelsFor(ctx context.Context) (*labelTally, error) {
	lb, ok := c.opts.Log.(audit.Labels)
	if !ok {
		return nil, nil
	}
	idx := audit.NewLabelIndex()
	if err := lb.EachLabel(ctx, func(l *audit.Label) error { idx.Add(l); return nil }); err != nil {
		return nil, err
	}
	idx.Seal()
	return &labelTally{idx: idx}, nil
}

// results lays the tally out beside the stored outcomes by label (the
// rule-performance matrix of the same window).
func (lt *labelTally) results(ctx context.Context, log audit.Store, since, until time.Time) *labelResults {
	res := &labelResults{Labels: lt.idx.Len()}
	stored := map[engine.Outcome]audit.LabelCounts{}
	if pr, ok := log.(audit.PerformanceReader); ok {
		if p, err := pr.RulePerformance(ctx, audit.PerfFilter{Since: since, Until: until}); err == nil {
			for _, pp := range p.Policies {
				for o, lc := range pp.Matrix {
					s := stored[o]
					s.Fraud += lc.Fraud
					s.Legitimate += lc.Legitimate
					stored[o] = s
				}
			}
		}
	}
	for i, o := range []engine.Outcome{engine.Allow, engine.Review, engine.Deny} {
		res.Rows = append(res.Rows, labelRow{Outcome: o, StoredFraud: stored[o].Fraud, StoredLegit: stored[o].Legitimate,
			DraftFraud: lt.counts[i][0].Load(), DraftLegit: lt.counts[i][1].Load()})
	}
	return res
}

// matrixRow is one stored outcome's row of the transition matrix.
type matrixRow struct {
	From  engine.Outcome
	Cells []matrixCell // to allow, review, deny
}

// matrixCell is one count of the matrix; Moved when the outcome changed.
type matrixCell struct {
	Count int64
	Moved bool
}

// matrix lays the transitions out as rows (stored) by columns (candidate).
func matrix(ts []audit.Transition) []matrixRow {
	outs := []engine.Outcome{engine.Allow, engine.Review, engine.Deny}
	rows := make([]matrixRow, len(outs))
	for i, from := range outs {
		rows[i] = matrixRow{From: from, Cells: make([]matrixCell, len(outs))}
		for j, to := range outs {
			rows[i].Cells[j].Moved = from != to
			for _, t := range ts {
				if t.From == from && t.To == to {
					rows[i].Cells[j].Count = t.Count
				}
			}
		}
	}
	return rows
}

// draftForm shows the empty drafts page (or a live policy's source to start from).
func (c *Console) draftForm(w http.ResponseWriter, r *http.Request, s *session) {
	v := draftView{File: "draft.yaml", Since: "7d"}
	if name := r.URL.Query().Get("from"); name != "" {
		if set := c.opts.Live.Load(); set != nil {
			if p := set.Policy(name); p != nil {
				if src, _, err := c.policySource(r.Context(), p.Ref().Version); err == nil {
					v.Draft, v.File = string(src), path.Base(p.Info().File)
				}
			}
		}
	}
	c.render(w, r, s, http.StatusOK, "drafts", "Drafts and backtests", v)
}

// readDraft reads the posted draft and validates it.
func (c *Console) readDraft(r *http.Request) draftView {
	v := draftView{Draft: r.PostForm.Get("draft"), File: path.Base(strings.TrimSpace(r.PostForm.Get("file"))),
		Since: r.PostForm.Get("since"), Until: r.PostForm.Get("until"), Validated: true}
	if v.File == "." || v.File == "/" || v.File == "" {
		v.File = "draft.yaml"
	}
	if !engine.IsPolicyFile(v.File) {
		v.File += ".yaml"
	}
	data := []byte(strings.ReplaceAll(v.Draft, "\r\n", "\n")) // browsers post CRLF
	p, err := engine.ParsePolicy(v.File, data)
	v.Valid = err == nil
	if err != nil {
		v.Errors = loadErrors(err, v.File)
	} else {
		ref := p.Ref()
		v.Policy = &ref
	}
	v.Lines = numbered(data)
	marked := map[int]bool{}
	for _, e := range v.Errors {
		marked[e.Line] = true
	}
	for i := range v.Lines {
		v.Lines[i].Mark = marked[v.Lines[i].N]
	}
	return v
}

// validateDraft validates a draft: every load error at its line.
func (c *Console) validateDraft(w http.ResponseWriter, r *http.Request, s *session) {
	v := c.readDraft(r)
	status := http.StatusOK
	if !v.Valid {
		status = http.StatusUnprocessableEntity
	}
	c.render(w, r, s, status, "drafts", "Drafts and backtests", v)
}

// backtestDraft replays the window's stored decisions with the live set in
// which the draft replaces the live policy of its name (or joins the set).
// One backtest runs at a time; it is bounded by the request's deadline.
func (c *Console) backtestDraft(w http.ResponseWriter, r *http.Request, s *session) {
	v := c.readDraft(r)
	if !v.Valid {
		c.render(w, r, s, http.StatusUnprocessableEntity, "drafts", "Drafts and backtests", v)
		return
	}
	if c.opts.Log == nil {
		v.BacktestErr = "This server runs without a decision log: there is nothing to backtest against."
		c.render(w, r, s, http.StatusServiceUnavailable, "drafts", "Drafts and backtests", v)
		return
	}
	status, err := c.runBacktest(r.Context(), &v)
	if err != nil {
		v.BacktestErr = err.Error()
	}
	c.render(w, r, s, status, "drafts", "Drafts and backtests", v)
}

// runBacktest fills v.Backtest, or says why not with a status.
func (c *Console) runBacktest(ctx context.Context, v *draftView) (int, error) {
	now := c.now()
	var opts audit.ReplayOptions
	var err error
	if strings.TrimSpace(v.Since) == "" {
		v.Since = "7d"
	}
	if opts.Since, err = audit.ParseTime(strings.TrimSpace(v.Since), now); err != nil {
		return http.StatusBadRequest, fmt.Errorf("since: %v", err)
	}
	opts.Until = now
	if u := strings.TrimSpace(v.Until); u != "" {
		if opts.Until, err = audit.ParseTime(u, now); err != nil {
			return http.StatusBadRequest, fmt.Errorf("until: %v", err)
		}
	}
	if !opts.Since.Before(opts.Until) {
		return http.StatusBadRequest, errors.New("since must be before until")
	}
	set, replaces, err := c.candidateSet(ctx, v)
	if err != nil {
		return http.StatusUnprocessableEntity, err
	}
	v.Replaces = replaces
	select {
	case c.backtests <- struct{}{}:
		defer func() { <-c.backtests }()
	default:
		return http.StatusTooManyRequests, errors.New("another backtest is running; try again when it has finished")
	}
	decide := decision.ReplayDecider(set)
	labels, err := c.labelsFor(ctx)
	if err != nil {
		return http.StatusServiceUnavailable, errors.New("the labels could not be read; retry")
	}
	if labels != nil {
		decide = labels.wrap(decide)
	}
	rep, err := audit.Replay(ctx, c.opts.Log, decide, opts)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return http.StatusServiceUnavailable, errors.New("the backtest did not finish within the request's time limit; narrow the window, or run `verdict replay` for long windows")
	case err != nil:
		return http.StatusServiceUnavailable, errors.New("the decision log could not be read; retry")
	}
	v.Backtest, v.Matrix = rep, matrix(rep.Transitions)
	if labels != nil {
		v.Labels = labels.results(ctx, c.opts.Log, opts.Since, opts.Until)
	}
	return http.StatusOK, nil
}

// candidateSet is the live set with the draft in place of the live policy
// of the same name. The other policies are their kept sources, so the set
// is exactly the live one but for the draft.
func (c *Console) candidateSet(ctx context.Context, v *draftView) (*engine.Set, string, error) {
	live := c.opts.Live.Load()
	if live == nil {
		return nil, "", errors.New("no policy set is loaded")
	}
	draft := []byte(strings.ReplaceAll(v.Draft, "\r\n", "\n"))
	srcs := []engine.Source{{File: "draft/" + v.File, Data: draft}}
	replaces := ""
	for _, p := range live.Policies() {
		if p.Name == v.Policy.Name {
			replaces = p.Name
			continue
		}
		src, _, err := c.policySource(ctx, p.Version)
		if err != nil {
			return nil, "", fmt.Errorf("the live policy %s cannot be read back (%v); reload the policies and try again", p.Name, err)
		}
		srcs = append(srcs, engine.Source{File: p.File, Data: src})
	}
	set, err := engine.LoadSources("draft", srcs)
	if err != nil {
		return nil, "", fmt.Errorf("the draft does not fit in the live set: %v", err)
	}
	return set, replaces, nil
}

// loadErrors lists the positioned errors inside err.
func loadErrors(err error, file string) []*engine.LoadError {
	var les engine.LoadErrors
	if errors.As(err, &les) {
		return les
	}
	var le *engine.LoadError
	if errors.As(err, &le) {
		return []*engine.LoadError{le}
	}
	return []*engine.LoadError{{File: file, Code: "load", Message: err.Error()}}
}
