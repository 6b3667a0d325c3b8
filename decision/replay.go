package decision

import (
	"context"
	"fmt"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// errNoStoredReport is the "fetch" of a replayed decision that holds no
// report: the candidate's on_error decides it, as serve would have.
var errNoStoredReport = fmt.Errorf("the stored decision holds no report: %w", report.ErrNotFound)

// ReplayDecider is the audit.Decider of `verdict replay`: each stored
// decision goes through the same Pipeline.Decide as serve, over its stored
// report, tags and context, at its stored decided_at (so now() reads what it
// read then). The shadow policy is not replayed, and a context the
// candidate refuses is decided on_error, as the engine does, rather than
// refused: the stored caller was answered once. An input without a report
// gets the candidate's on_error.
func ReplayDecider(set *engine.Set) audit.Decider {
	p := replayPipeline(set)
	return func(in audit.ReplayInput) engine.Decision {
		var mem Memory
		if in.Memory != nil {
			mem = &stored{m: &ReplayMemory{}, reads: in.Memory}
		}
		return replayOne(p, in, mem)
	}
}

// replayPipeline is the pipeline of a replay over set: stored reports only.
func replayPipeline(set *engine.Set) *Pipeline {
	return &Pipeline{Policies: Static(set), Fetcher: FetcherFunc(func(context.Context, string) (*report.Report, error) {
		return nil, errNoStoredReport
	})}
}
