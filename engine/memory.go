package engine

import (
	"net/netip"
	"time"

	"github.com/verdicthq/verdict/report"
)

// Policies read memory through two names: lists (x in lists.blocked_users)
// and counters (counters.user_denials_7d). A policy declares both; the
// pipeline hands the engine what a decision reads (Facts.Lists,
// Facts.Counters) and the engine records every membership and counter value
// a decision read in Decision.Memory, so a trace holds them and replay can be
// exact. The engine stores nothing: lists and counters live with the decision
// log.

// List kinds.
const (
	ListStrings = "strings" // items are texts compared exactly
	ListCIDR    = "cidr"    // items are IP ranges (netip.Prefix); values are IP addresses
)

// Counter aggregations.
const (
	AggCount    = "count"    // how many past decisions (the default)
	AggDistinct = "distinct" // how many distinct values of an expression
	AggSum      = "sum"      // the sum of a numeric expression
	AggMax      = "max"      // the largest value of a numeric expression
)

// Counter windows a policy may declare.
const (
	MinWindow = time.Minute
	MaxWindow = 90 * 24 * time.Hour
)

// ListDecl is a list a policy declares under lists:.
type ListDecl struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`           // ListStrings or ListCIDR
	File        string `json:"file,omitempty"` // file-backed: a path relative to the rules folder (slash-separated, no ".."); read-only through the API
	Description string `json:"description,omitempty"`
	Position    string `json:"position"` // file:line:col of its declaration (the first, in a Set)
}

// CounterDecl is a counter a policy declares under counters:. Name is its
// identity in a Set; Definition is its canonical text (key, window,
// aggregation, value and where), so a reload can tell a counter whose
// definition changed (and must be backfilled) from one that did not.
type CounterDecl struct {
	Name       string        `json:"name"`
	Window     time.Duration `json:"window"`
	Agg        string        `json:"agg"`              // AggCount, AggDistinct, AggSum or AggMax
	KeyExpr    string        `json:"key"`              // as written
	ValueExpr  string        `json:"value,omitempty"`  // the distinct/sum/max expression as written; "" for count
	WhereExpr  string        `json:"where,omitempty"`  // as written; "" for every past decision
	Definition string        `json:"definition"`       // canonical: equal definitions count the same decisions the same way
	Position   string        `json:"position"`         // file:line:col of its declaration
	Policy     string        `json:"policy,omitempty"` // the policy that declared it (the first, in a Set)

	prog *counterProgs // compiled key, where and value; nil for a CounterDecl built by hand
}

// PastDecision is a recorded decision as a counter reads it: what a where
// expression sees (outcome, fired("rule-id"), the report's fields, the
// context) and what key and value expressions read.
type PastDecision struct {
	Outcome    Outcome
	FiredRules []string       // ids of the live policy's fired rules
	Report     *report.Report // nil when the decision had no report: it then contributes nothing
	Context    map[string]any
	DecidedAt  time.Time // what now() returns in the counter's expressions
}

// Lists answers list memberships for one decision, as of its time. The
// decision pipeline hands one in Facts.Lists; it must not allocate per call.
// Contains is asked for lists of kind ListStrings, ContainsIP for ListCIDR.
type Lists interface {
	Contains(list, value string) bool
	ContainsIP(list string, ip netip.Addr) bool
}

// CounterValue is a counter's value for the current decision, computed by
// the pipeline over the decisions recorded in [now − window, now).
type CounterValue struct {
	Key        string  // the key it was computed for (CounterDecl.Key)
	Value      float64 // count, distinct count, sum or max; 0 when KeyMissing
	KeyMissing bool    // the decision has no key (no user_id, say): the counter reads 0
}

// Memory is everything a decision read from lists and counters, in the order
// read: lists as each membership was asked, counters in name order.
type Memory struct {
	Lists    []ListRead    `json:"lists,omitempty"`
	Counters []CounterRead `json:"counters,omitempty"`
}

// ListRead is one list membership a decision read.
type ListRead struct {
	List   string `json:"list"`
	Value  string `json:"value"` // the value looked up ("" for a value that was absent or not a text or number)
	Member bool   `json:"member"`
}

// CounterRead is one counter value a decision read.
type CounterRead struct {
	Counter    string  `json:"counter"`
	Key        string  `json:"key,omitempty"`
	Value      float64 `json:"value"`
	KeyMissing bool    `json:"key_missing,omitempty"`
}

// Lists returns the lists the policy declares, in name order.
func (p *Policy) Lists() []ListDecl { return p.lists }

// Counters returns the counters the policy declares, in name order.
func (p *Policy) Counters() []CounterDecl { return p.counters }

// Lists returns the lists the set's policies declare, in name order: one name
// declared by several policies is one list (the first declaration's
// description and position; a kind or file clash is a load error).
func (s *Set) Lists() []ListDecl { return s.lists }

// Counters returns the counters the set's policies declare, in name order:
// one name declared by several policies with the same definition is one
// counter (different definitions under one name are a load error).
func (s *Set) Counters() []CounterDecl { return s.counters }

// bands are a score policy's thresholds: a total at or above deny is deny,
// else at or above review is review, else the default.
type bands struct {
	review, deny       int
	hasReview, hasDeny bool
}

// outcome is a score policy's outcome for a total when no fired rule has an
// action: deny at or above the deny band, review at or above the review band,
// else the policy's default (reason default).
func (b bands) outcome(total int, def Outcome) (Outcome, string) {
	switch {
	case b.hasDeny && total >= b.deny:
		return Deny, ReasonRules
	case b.hasReview && total >= b.review:
		return Review, ReasonRules
	}
	return def, ReasonDefault
}
