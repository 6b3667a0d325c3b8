package engine

// Outcome is a verdict: allow, review or deny.
type Outcome string

// The three outcomes, in increasing severity.
const (
	Allow  Outcome = "allow"
	Review Outcome = "review"
	Deny   Outcome = "deny"
)

// Severity orders outcomes: allow (0) < review (1) < deny (2); -1 for anything else.
func (o Outcome) Severity() int {
	switch o {
	case Allow:
		return 0
	case Review:
		return 1
	case Deny:
		return 2
	}
	return -1
}

// Reasons a Decision took its outcome.
const (
	ReasonRules   = "rules"    // one or more rules fired and decided
	ReasonDefault = "default"  // no rule fired: the policy's default
	ReasonOnError = "on_error" // a rule errored, or the report could not be had: the policy's on_error
)

// PolicyRef names a policy and its exact version: the SHA-256 (hex) of the
// policy file's bytes, checkable with sha256sum.
type PolicyRef struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// FiredRule is a rule whose condition held, with the value of every report or
// context field it read (through variables too), by path such as
// "device_checks.vpn" or "context.amount", in path order.
type FiredRule struct {
	ID          string  `json:"id"`
	Action      Outcome `json:"action,omitempty"` // "" for a rule of a score policy that only scores
	Description string  `json:"description,omitempty"`
	Inputs      Inputs  `json:"inputs"`
	Score       *int    `json:"score,omitempty"` // its score, under strategy score
}

// RuleError is a rule that failed at run time; the decision's reason is then
// on_error (see Policy.Evaluate for the outcome, which never weakens a fired rule).
type RuleError struct {
	RuleID   string `json:"rule_id"`
	Message  string `json:"message"`
	Position string `json:"position,omitempty"` // file:line:col of the rule's when
}

// Decision is the result of evaluating one policy over one report and context.
type Decision struct {
	Policy     PolicyRef   `json:"policy"`
	Outcome    Outcome     `json:"outcome"`
	Reason     string      `json:"reason"`
	FiredRules []FiredRule `json:"fired_rules"`
	RuleErrors []RuleError `json:"rule_errors,omitempty"`
	// Score is the total of the fired rules' scores under strategy score;
	// nil under the other strategies.
	Score *int `json:"score,omitempty"`
	// Memory is every list membership and counter value the decision read
	// (not only those of fired rules); nil when it read none.
	Memory *Memory `json:"memory,omitempty"`
}
