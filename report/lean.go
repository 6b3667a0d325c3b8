package report

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// leanJSON is wireJSON without the check groups and user_logs: json v2
// skips those values without building them.
type leanJSON struct {
	SessionID         string         `json:"session_id"`
	UserID            string         `json:"user_id"`
	Tags              []string       `json:"tags"`
	RiskScore         jsontext.Value `json:"risk_score"`
	RiskExplanation   string         `json:"risk_explanation"`
	RecommendedAction string         `json:"recommended_action"`
}

// DecodeScalars is DecodeOwned for a reader of the top-level fields only:
// SessionID, UserID, Tags, RiskScore, RiskExplanation, RecommendedAction
// and Raw are set exactly as DecodeOwned sets them (the same decoder and
// options read them), and the check groups and user_logs are neither
// decoded nor checked, so BiometricChecks, DeviceChecks and UserLogs are
// nil and CheckAt reads Unknown. It is for reports Decode accepted once
// (a stored trace's report, status ok) read again by something that reads
// none of the checks, such as a counter being backfilled: skipping the
// groups is most of the cost of decoding. It returns an *InvalidError when
// the fields it reads are wrong, as Decode would.
func DecodeScalars(raw []byte) (*Report, error) {
	var w leanJSON
	if err := json.Unmarshal(raw, &w, decodeOptions); err != nil {
		return nil, invalidJSON(err)
	}
	if w.SessionID == "" {
		return nil, &InvalidError{Field: "session_id", Reason: "missing"}
	}
	score, err := decodeScore([]byte(w.RiskScore))
	if err != nil {
		return nil, err
	}
	return &Report{
		SessionID: w.SessionID, UserID: w.UserID, Tags: w.Tags, RiskScore: score, RiskExplanation: w.RiskExplanation,
		RecommendedAction: w.RecommendedAction, Raw: raw,
	}, nil
}
