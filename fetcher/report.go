package fetcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// CheckValue is the result of one Roundtable check.
type CheckValue string

// The three values Roundtable documents for a check.
const (
	Detected    CheckValue = "Detected"
	NotDetected CheckValue = "Not detected"
	Unknown     CheckValue = "Unknown"
)

// Valid reports whether v is one of the three documented check values.
func (v CheckValue) Valid() bool {
	return v == Detected || v == NotDetected || v == Unknown
}

// BiometricCheckNames are the biometric checks Roundtable documents (November 2026).
var BiometricCheckNames = []string{
	"agent_behavior", "programmatic_typing", "teleporting_mouse", "no_corrections",
	"all_pasted", "jump_scrolling", "centered_clicks", "programmatic_clicking", "external_input",
}

// DeviceCheckNames are the device checks Roundtable documents (November 2026).
var DeviceCheckNames = []string{
	"bot", "virtual_machine", "software_renderer", "vpn", "tor", "location_spoofing",
}

// Checks maps a check name to its value. After Decode every documented check is
// present (a missing one reads Unknown) and checks Roundtable added later are kept.
type Checks map[string]CheckValue

// Get returns the value of a check, Unknown when the report lacks it.
func (c Checks) Get(name string) CheckValue {
	if v, ok := c[name]; ok {
		return v
	}
	return Unknown
}

// UserLog is one entry of the deprecated user_logs field.
type UserLog struct {
	Action        string `json:"action"`
	UserTime      string `json:"user_time"`
	UnixTimestamp int64  `json:"unix_timestamp"`
}

// Report is a session report as Roundtable returns it from
// GET /v1/sessions/{sessionId}/report.
type Report struct {
	SessionID         string    `json:"session_id"`
	UserID            string    `json:"user_id,omitempty"`
	Tags              []string  `json:"tags,omitempty"`
	RiskScore         int       `json:"risk_score"`
	RiskExplanation   string    `json:"risk_explanation,omitempty"`
	RecommendedAction string    `json:"recommended_action,omitempty"`
	UserLogs          []UserLog `json:"user_logs,omitempty"` // deprecated by Roundtable
	BiometricChecks   Checks    `json:"biometric_checks"`
	DeviceChecks      Checks    `json:"device_checks"`

	// Raw is the report exactly as received, kept for the decision trace.
	Raw json.RawMessage `json:"-"`
}

// wireReport mirrors Report with pointers, so that missing and null fields can be told apart.
type wireReport struct {
	SessionID         *string                     `json:"session_id"`
	UserID            *string                     `json:"user_id"`
	Tags              []string                    `json:"tags"`
	RiskScore         *json.Number                `json:"risk_score"`
	RiskExplanation   *string                     `json:"risk_explanation"`
	RecommendedAction *string                     `json:"recommended_action"`
	UserLogs          []UserLog                   `json:"user_logs"`
	BiometricChecks   map[string]*json.RawMessage `json:"biometric_checks"`
	DeviceChecks      map[string]*json.RawMessage `json:"device_checks"`
}

// InvalidReportError says which field of a report is wrong and why.
// It matches ErrInvalidReport with errors.Is.
type InvalidReportError struct {
	Field  string // e.g. "risk_score" or "device_checks.vpn"; empty when the JSON itself is broken
	Reason string
}

func (e *InvalidReportError) Error() string {
	if e.Field == "" {
		return "invalid report: " + e.Reason
	}
	return "invalid report: " + e.Field + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalidReport) true for every InvalidReportError.
func (e *InvalidReportError) Is(target error) bool { return target == ErrInvalidReport }

// DecodeReport parses and validates a report. Unknown top-level fields are
// ignored, unknown check names are kept, and missing documented checks read
// Unknown. It returns an *InvalidReportError naming the field at fault.
func DecodeReport(raw []byte) (*Report, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var w wireReport
	if err := dec.Decode(&w); err != nil {
		return nil, &InvalidReportError{Reason: "not a JSON report object: " + jsonErrText(err)}
	}
	if dec.More() {
		return nil, &InvalidReportError{Reason: "trailing data after the report object"}
	}
	r := &Report{Tags: w.Tags, UserLogs: w.UserLogs, Raw: append(json.RawMessage(nil), raw...)}
	if w.SessionID == nil || *w.SessionID == "" {
		return nil, &InvalidReportError{Field: "session_id", Reason: "missing"}
	}
	r.SessionID = *w.SessionID
	if w.UserID != nil {
		r.UserID = *w.UserID
	}
	if w.RiskExplanation != nil {
		r.RiskExplanation = *w.RiskExplanation
	}
	if w.RecommendedAction != nil {
		r.RecommendedAction = *w.RecommendedAction
	}
	score, err := decodeScore(w.RiskScore)
	if err != nil {
		return nil, err
	}
	r.RiskScore = score
	if r.BiometricChecks, err = decodeChecks("biometric_checks", w.BiometricChecks, BiometricCheckNames); err != nil {
		return nil, err
	}
	if r.DeviceChecks, err = decodeChecks("device_checks", w.DeviceChecks, DeviceCheckNames); err != nil {
		return nil, err
	}
	return r, nil
}

func decodeScore(n *json.Number) (int, error) {
	if n == nil {
		return 0, &InvalidReportError{Field: "risk_score", Reason: "missing"}
	}
	i, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || f != float64(int64(f)) {
			return 0, &InvalidReportError{Field: "risk_score", Reason: fmt.Sprintf("%s is not an integer", n.String())}
		}
		i = int64(f)
	}
	if i < 0 || i > 100 {
		return 0, &InvalidReportError{Field: "risk_score", Reason: fmt.Sprintf("%d is outside 0..100", i)}
	}
	return int(i), nil
}

func decodeChecks(group string, in map[string]*json.RawMessage, known []string) (Checks, error) {
	out := make(Checks, len(known)+len(in))
	for _, name := range known {
		out[name] = Unknown
	}
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	sort.Strings(names) // report the first bad check deterministically
	for _, name := range names {
		raw := in[name]
		var s string
		if raw == nil || json.Unmarshal(*raw, &s) != nil || !CheckValue(s).Valid() {
			got := "null"
			if raw != nil {
				got = string(*raw)
			}
			return nil, &InvalidReportError{
				Field:  group + "." + name,
				Reason: fmt.Sprintf("%s is not one of \"Detected\", \"Not detected\", \"Unknown\"", truncate(got, 40)),
			}
		}
		out[name] = CheckValue(s)
	}
	return out, nil
}

func jsonErrText(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%v (at byte %d)", syn, syn.Offset)
	}
	return err.Error()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
