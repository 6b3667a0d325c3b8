package api

import (
	"time"

	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
)

// DecisionResponse is the answer of POST /v1/decisions and POST /v1/evaluate.
type DecisionResponse struct {
	DecisionID        string             `json:"decision_id"`
	SessionID         string             `json:"session_id"`
	Outcome           engine.Outcome     `json:"outcome"`
	Reason            string             `json:"reason"` // rules, default or on_error
	Policy            engine.PolicyRef   `json:"policy"`
	FiredRules        []engine.FiredRule `json:"fired_rules"`
	RuleErrors        []engine.RuleError `json:"rule_errors,omitempty"`
	ReportStatus      string             `json:"report_status"`
	RiskScore         *int               `json:"risk_score"`
	RecommendedAction *string            `json:"recommended_action"`
	DecidedAt         time.Time          `json:"decided_at"`
	DryRun            bool               `json:"dry_run,omitzero"` // true for /v1/evaluate: nothing was logged
	// MonitorOnly and WouldBeOutcome are set in monitor-only mode: the
	// outcome answered is allow, and WouldBeOutcome is what the policy decided.
	MonitorOnly    bool           `json:"monitor_only,omitzero"`
	WouldBeOutcome engine.Outcome `json:"would_be_outcome,omitzero"`
	// Score is the total of the fired rules' scores under strategy score;
	// absent under the other strategies.
	Score *int `json:"score,omitempty"`
}

// newDecisionResponse builds the answer from the pipeline's result: the
// outcome the caller is answered (allow in monitor-only mode, with
// monitor_only and would_be_outcome saying what the policy decided), the live policy's reasons, and
// the report's score and recommendation when the report was had.
func newDecisionResponse(r *decision.Result) DecisionResponse {
	d := &r.Live
	resp := DecisionResponse{
		DecisionID:   r.DecisionID,
		SessionID:    r.SessionID,
		Outcome:      r.Outcome(),
		Reason:       d.Reason,
		Policy:       d.Policy,
		FiredRules:   d.FiredRules,
		RuleErrors:   d.RuleErrors,
		ReportStatus: r.ReportStatus,
		DecidedAt:    r.DecidedAt,
		Score:        d.Score,
	}
	if r.MonitorOnly {
		resp.MonitorOnly, resp.WouldBeOutcome = true, d.Outcome
	}
	if resp.FiredRules == nil {
		resp.FiredRules = []engine.FiredRule{}
	}
	if rep := r.Report; rep != nil {
		score := rep.RiskScore
		resp.RiskScore = &score
		if rep.RecommendedAction != "" {
			ra := rep.RecommendedAction
			resp.RecommendedAction = &ra
		}
	}
	return resp
}
