package decision

import (
	"context"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// ReplayDecider is the audit.Decider of `verdict replay`: each stored
// decision goes through the same Pipeline.Decide as serve, over its stored
// report, tags and context, at its stored decided_at (so now() reads what it
// read then). The shadow policy is not replayed, and a context the
// candidate refuses is decided on_error, as the engine does, rather than
// refused: the stored caller was answered once.
func ReplayDecider(set *engine.Set) audit.Decider {
	p := &Pipeline{Policies: Static(set)}
	return func(in audit.ReplayInput) engine.Decision {
		res, err := p.Decide(context.Background(), Request{
			ID: in.ID, SessionID: in.Report.SessionID, Report: in.Report, Tags: in.Tags,
			Context: in.Context, Now: in.DecidedAt, NoShadow: true, LenientContext: true,
		})
		if err != nil { // only ErrNoPolicySet: a loaded set always has a live default
			return engine.Decision{Reason: engine.ReasonOnError, FiredRules: []engine.FiredRule{},
				RuleErrors: []engine.RuleError{{Message: err.Error()}}}
		}
		return res.Live
	}
}
