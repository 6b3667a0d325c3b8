package decision

import "github.com/verdicthq/verdict/engine"

// Memory is what a decision reads beyond its report: list memberships and
// counter values, as of the decision's time (the memory step of Decide).
// serve's is the in-memory lists and counters over the decision log;
// replay's answers from what each stored decision read.
type Memory interface {
	// Read fills f.Lists and f.Counters for the live policy (and the shadow
	// policy, when not nil) about to evaluate over f, as of f.Now.
	Read(f *engine.Facts, live, shadow *engine.Policy)
	// Recorded is told of a decision once its trace is durable, so it
	// counts for the decisions after it. It must be O(counters).
	Recorded(r *Result)
}
