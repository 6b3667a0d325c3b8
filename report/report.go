package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
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
var BiometricCheckNames = biometricCheckNames[:]

// DeviceCheckNames are the device checks Roundtable documents (November 2026).
var DeviceCheckNames = deviceCheckNames[:]

var (
	deviceCheckNames = [...]string{
		"bot", "virtual_machine", "software_renderer", "vpn", "tor", "location_spoofing",
	}
	biometricCheckNames = [...]string{
		"agent_behavior", "programmatic_typing", "teleporting_mouse", "no_corrections",
		"all_pasted", "jump_scrolling", "centered_clicks", "programmatic_clicking", "external_input",
	}
)

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

	// documented holds the documented checks by CheckIndex as checkCodes,
	// set by Decode from the same values as the two maps; all 0 in a
	// report built by hand, which CheckAt then reads from the maps.
	documented [NumDocumentedChecks]uint8
}

// InvalidError says which field of a report is wrong and why.
// It matches ErrInvalid with errors.Is.
type InvalidError struct {
	Field  string // e.g. "risk_score" or "device_checks.vpn"; empty when the JSON itself is broken
	Reason string
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return "invalid report: " + e.Reason
	}
	return "invalid report: " + e.Field + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalid) true for every InvalidError.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Decode parses and validates a report. Unknown top-level fields are
// ignored, unknown check names are kept, and missing documented checks read
// Unknown. The deprecated user_logs field is kept when it has the documented
// shape and dropped (Raw still has it) when not: no policy reads it, and a
// field Roundtable is removing must not make reports invalid. It returns an
// *InvalidError naming the field at fault. Report.Raw is a copy of raw.
func Decode(raw []byte) (*Report, error) {
	return decodeReport(raw, true)
}

// DecodeOwned is Decode for a caller that hands raw over: the report keeps
// raw itself as Raw instead of a copy, so the caller must not change raw
// afterwards (the fetcher hands over a response body it no longer uses).
func DecodeOwned(raw []byte) (*Report, error) { return decodeReport(raw, false) }

// decodeReport is Decode; with copyRaw false the report keeps raw
// itself as Raw (the client hands over a body it no longer uses).
func decodeReport(raw []byte, copyRaw bool) (*Report, error) {
	return decodeReportJSON(raw, copyRaw)
}

// decodeScore reads risk_score: a JSON number (not a string) with an integer
// value in 0..100. 75.0 and 7.5e1 are accepted as 75.
func decodeScore(raw []byte) (int, error) {
	s := string(raw)
	switch {
	case s == "" || s == "null":
		return 0, &InvalidError{Field: "risk_score", Reason: "missing"}
	case s[0] != '-' && (s[0] < '0' || s[0] > '9'):
		return 0, &InvalidError{Field: "risk_score", Reason: fmt.Sprintf("%s is not a number", truncate(s, 40))}
	}
	if i, err := strconv.Atoi(s); err == nil && i >= 0 && i <= 100 { // the usual case
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, &InvalidError{Field: "risk_score", Reason: fmt.Sprintf("%s is not a number", truncate(s, 40))}
	}
	if f < 0 || f > 100 {
		return 0, &InvalidError{Field: "risk_score", Reason: fmt.Sprintf("%s is outside 0..100", truncate(s, 40))}
	}
	if f != math.Trunc(f) {
		return 0, &InvalidError{Field: "risk_score", Reason: fmt.Sprintf("%s is not an integer", truncate(s, 40))}
	}
	return int(f), nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
