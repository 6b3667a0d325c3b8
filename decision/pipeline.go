package decision

import (
	"context"
	"errors"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// Fetcher gets a session's report; *fetcher.Client is the real one. Errors
// wrap report's sentinel errors (report.Status maps them to a report status).
type Fetcher interface {
	Fetch(ctx context.Context, sessionID string) (*report.Report, error)
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context, sessionID string) (*report.Report, error)

// Fetch calls f.
func (f FetcherFunc) Fetch(ctx context.Context, sessionID string) (*report.Report, error) {
	return f(ctx, sessionID)
}

// Policies hands out the policy set a decision runs on; *engine.Live (swapped
// by hot reload) is the one serve uses, Static a fixed set.
type Policies interface {
	Load() *engine.Set
}

// Static is a fixed policy set as Policies (eval, replay, tests).
func Static(set *engine.Set) Policies { return staticSet{set} }

type staticSet struct{ set *engine.Set }

func (s staticSet) Load() *engine.Set { return s.set }

// ErrNoPolicySet is returned when no policy set is loaded, or the set has no
// live policy for the session.
var ErrNoPolicySet = errors.New("no policy set is loaded")

// ErrNoFetcher is returned for a request without a report to a Pipeline
// without a Fetcher.
var ErrNoFetcher = errors.New("no report given and no fetcher to get one")

// Pipeline decides. Its zero value is not usable: Policies is required, and
// Fetcher for requests that do not carry their report. It is safe for
// concurrent use.
type Pipeline struct {
	Policies    Policies // the policy set, loaded once per decision
	Fetcher     Fetcher  // Roundtable; nil when every request carries its report
	MonitorOnly bool     // results answer MonitorOutcome (see Result.MonitorOnly)
	Memory      Memory   // lists and counters; nil when decisions read none
}

// Decide makes one decision: fetch (or take the request's report), select
// the live and shadow policy, check the context, evaluate or fall back. Once
// the request is decidable it always gives a Result, on_error when the report
// could not be had. Its errors: ErrNoPolicySet, ErrNoFetcher, and the live
// policy's *engine.ContextError, unwrapped, for a context it refuses (unless
// the request is lenient).
func (p *Pipeline) Decide(ctx context.Context, req Request) (Result, error) {
	begin := time.Now()
	received := req.Received
	if received.IsZero() {
		received = begin
	}
	at := req.Now
	if at.IsZero() {
		at = begin.UTC().Truncate(time.Microsecond)
	}
	set := p.Policies.Load() // once: the whole decision runs on this set
	if set == nil {
		return Result{}, ErrNoPolicySet
	}
	res := Result{
		DecisionID:   req.ID,
		DecidedAt:    at,
		SessionID:    req.SessionID,
		Context:      req.RawContext,
		Report:       req.Report,
		ReportStatus: report.StatusOK,
		SetLoadedAt:  set.LoadedAt(),
		MonitorOnly:  p.MonitorOnly,
	}
	if res.DecisionID == "" {
		res.DecisionID = audit.NewID()
	}

	// 1. fetch
	fetched := begin
	if res.Report == nil {
		if p.Fetcher == nil {
			return Result{}, ErrNoFetcher
		}
		rep, err := p.Fetcher.Fetch(ctx, req.SessionID)
		if err != nil {
			res.Report, res.ReportStatus, res.FetchError = nil, report.Status(err), err.Error()
		} else {
			res.Report = rep
		}
		fetched = time.Now()
	}

	// 2. select
	tags := req.Tags
	if tags == nil && res.Report != nil {
		tags = res.Report.Tags
	}
	live, shadow := set.Select(tags)
	if live == nil {
		return Result{}, ErrNoPolicySet
	}
	if req.NoShadow {
		shadow = nil
	}

	// 3. check context
	if !req.LenientContext {
		if err := live.CheckContext(req.Context); err != nil {
			return Result{}, err
		}
	}

	// 4. memory: the lists and the counter values the selected policies
	// read, as of res.DecidedAt. The engine records every membership and
	// value a decision read in its Decision.Memory, which the trace keeps.
	facts := engine.Facts{Report: res.Report, Context: req.Context, Now: at}
	res.ContextValues = req.Context
	mem := p.Memory
	if req.Memory != nil {
		mem = req.Memory
	}
	if mem == nil {
		mem = NoMemory
	}
	if res.Report != nil {
		mem.Read(&facts, live, shadow)
	}

	// 5. evaluate, or fall back
	res.Live = evaluate(live, facts)
	if shadow != nil {
		if err := shadow.CheckContext(req.Context); err != nil {
			res.ShadowError = err.Error()
		} else {
			sd := evaluate(shadow, facts)
			res.Shadow = &sd
		}
	}
	done := time.Now()
	res.Timings = audit.Timings{Fetch: fetched.Sub(begin), Evaluate: done.Sub(fetched), Total: done.Sub(received)}
	return res, nil
}

// evaluate runs p over the facts, or takes its on_error fallback when there
// is no report.
func evaluate(p *engine.Policy, f engine.Facts) engine.Decision {
	if f.Report == nil {
		return p.Fallback()
	}
	return p.Evaluate(f)
}
