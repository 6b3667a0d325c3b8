package decision

import (
	"encoding/json"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// MonitorOutcome is what callers get in monitor-only mode.
const MonitorOutcome = engine.Allow

// Result is one decision: what the policies decided and everything the
// answer and the trace are derived from. The caller's answer (api) and the
// stored trace (Trace) read it; nothing keeps a copy of its fields in step.
type Result struct {
	DecisionID string    // UUIDv7, returned to the caller
	DecidedAt  time.Time // the decision's time (UTC, microseconds in serve): now() in rules, decided_at in the answer and the trace

	SessionID string          // the session decided
	Context   json.RawMessage // the caller's context as sent; nil when absent
	// ContextValues is the context as rules read it (what counters read of
	// this decision once it is recorded); nil when absent.
	ContextValues map[string]any

	Report       *report.Report // the report decided over; nil when it could not be had
	ReportStatus string         // report.Status of the fetch: ok, not_found, unavailable, ...
	FetchError   string         // the fetch error's text, "" when ok; carries no secret

	Live        engine.Decision  // the live policy's decision
	Shadow      *engine.Decision // the shadow policy's; nil when none matched, was skipped or refused the context
	ShadowError string           // why a shadow policy that matched was not evaluated
	SetLoadedAt time.Time        // when the policy set that decided was compiled
	MonitorOnly bool             // the caller is answered MonitorOutcome; Live is what the policy decided

	Timings audit.Timings
}

// Outcome is the outcome the caller is answered: MonitorOutcome in
// monitor-only mode, else the live policy's.
func (r *Result) Outcome() engine.Outcome {
	if r.MonitorOnly {
		return MonitorOutcome
	}
	return r.Live.Outcome
}

// RawReport is the report exactly as received, nil when none was had.
func (r *Result) RawReport() json.RawMessage {
	if r.Report == nil {
		return nil
	}
	return r.Report.Raw
}

// Trace is the decision's trace: everything about the decision itself. The
// caller adds what only it knows (the API key id, the Idempotency-Key and
// request hash, the answer's bytes) before appending it.
func (r *Result) Trace() *audit.Trace {
	t := &audit.Trace{
		ID:           r.DecisionID,
		DecidedAt:    r.DecidedAt,
		SessionID:    r.SessionID,
		Context:      r.Context,
		Report:       r.RawReport(),
		ReportStatus: r.ReportStatus,
		FetchError:   r.FetchError,
		Policy:       r.Live.Policy,
		Outcome:      r.Outcome(),
		Reason:       r.Live.Reason,
		FiredRules:   r.Live.FiredRules,
		RuleErrors:   r.Live.RuleErrors,
		Score:        r.Live.Score,
		Memory:       r.Live.Memory,
		MonitorOnly:  r.MonitorOnly,
		Timings:      r.Timings,
		ShadowError:  r.ShadowError,
	}
	if string(t.Context) == "null" {
		t.Context = nil
	}
	if r.Report != nil {
		t.UserID = r.Report.UserID
		t.Tags = r.Report.Tags
		score := r.Report.RiskScore
		t.RiskScore, t.CheckCodes = &score, r.Report.DocumentedCodes()
	}
	if r.MonitorOnly {
		t.WouldBeOutcome = r.Live.Outcome
	}
	if s := r.Shadow; s != nil {
		t.Shadow = &audit.Shadow{Policy: s.Policy, Outcome: s.Outcome, Reason: s.Reason,
			FiredRules: s.FiredRules, RuleErrors: s.RuleErrors, Score: s.Score, Memory: s.Memory}
	}
	return t
}
