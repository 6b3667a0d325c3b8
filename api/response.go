package api

import (
	"time"

	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
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
}

// newDecisionResponse builds the answer from a decision and the report (nil
// when it could not be had).
func newDecisionResponse(id, sessionID string, d engine.Decision, r *report.Report, reportStatus string, at time.Time) DecisionResponse {
	resp := DecisionResponse{
		DecisionID:   id,
		SessionID:    sessionID,
		Outcome:      d.Outcome,
		Reason:       d.Reason,
		Policy:       d.Policy,
		FiredRules:   d.FiredRules,
		RuleErrors:   d.RuleErrors,
		ReportStatus: reportStatus,
		DecidedAt:    at,
	}
	if resp.FiredRules == nil {
		resp.FiredRules = []engine.FiredRule{}
	}
	if r != nil {
		score := r.RiskScore
		resp.RiskScore = &score
		if r.RecommendedAction != "" {
			ra := r.RecommendedAction
			resp.RecommendedAction = &ra
		}
	}
	return resp
}
