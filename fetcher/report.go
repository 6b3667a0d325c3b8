package fetcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
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

// wireReport mirrors Report loosely, so that missing, null and mistyped
// fields can be told apart and named.
type wireReport struct {
	SessionID         *string         `json:"session_id"`
	UserID            *string         `json:"user_id"`
	Tags              []string        `json:"tags"`
	RiskScore         json.RawMessage `json:"risk_score"`
	RiskExplanation   *string         `json:"risk_explanation"`
	RecommendedAction *string         `json:"recommended_action"`
	UserLogs          json.RawMessage `json:"user_logs"`
	BiometricChecks   map[string]any  `json:"biometric_checks"`
	DeviceChecks      map[string]any  `json:"device_checks"`
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
// Unknown. The deprecated user_logs field is kept when it has the documented
// shape and dropped (Raw still has it) when not: no policy reads it, and a
// field Roundtable is removing must not make reports invalid. It returns an
// *InvalidReportError naming the field at fault.
func DecodeReport(raw []byte) (*Report, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var w wireReport
	if err := dec.Decode(&w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, &InvalidReportError{Field: te.Field, Reason: fmt.Sprintf("a JSON %s is not allowed here", te.Value)}
		}
		return nil, &InvalidReportError{Reason: "not a JSON report object: " + jsonErrText(err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &InvalidReportError{Reason: "trailing data after the report object"}
	}
	if w.SessionID == nil || *w.SessionID == "" {
		return nil, &InvalidReportError{Field: "session_id", Reason: "missing"}
	}
	r := &Report{SessionID: *w.SessionID, Tags: w.Tags, Raw: append(json.RawMessage(nil), raw...)}
	if w.UserID != nil {
		r.UserID = *w.UserID
	}
	if w.RiskExplanation != nil {
		r.RiskExplanation = *w.RiskExplanation
	}
	if w.RecommendedAction != nil {
		r.RecommendedAction = *w.RecommendedAction
	}
	if len(w.UserLogs) > 0 && json.Unmarshal(w.UserLogs, &r.UserLogs) != nil {
		r.UserLogs = nil
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

// decodeScore reads risk_score: a JSON number (not a string) with an integer
// value in 0..100. 75.0 and 7.5e1 are accepted as 75.
func decodeScore(raw json.RawMessage) (int, error) {
	s := string(raw)
	switch {
	case s == "" || s == "null":
		return 0, &InvalidReportError{Field: "risk_score", Reason: "missing"}
	case s[0] != '-' && (s[0] < '0' || s[0] > '9'):
		return 0, &InvalidReportError{Field: "risk_score", Reason: fmt.Sprintf("%s is not a number", truncate(s, 40))}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, &InvalidReportError{Field: "risk_score", Reason: fmt.Sprintf("%s is not a number", truncate(s, 40))}
	}
	if f < 0 || f > 100 {
		return 0, &InvalidReportError{Field: "risk_score", Reason: fmt.Sprintf("%s is outside 0..100", truncate(s, 40))}
	}
	if f != math.Trunc(f) {
		return 0, &InvalidReportError{Field: "risk_score", Reason: fmt.Sprintf("%s is not an integer", truncate(s, 40))}
	}
	return int(f), nil
}

func decodeChecks(group string, in map[string]any, known []string) (Checks, error) {
	out := make(Checks, len(known)+len(in))
	for _, name := range known {
		out[name] = Unknown
	}
	var bad []string
	for name, v := range in {
		s, ok := v.(string)
		if !ok || !CheckValue(s).Valid() {
			bad = append(bad, name)
			continue
		}
		out[name] = CheckValue(s)
	}
	if len(bad) > 0 {
		sort.Strings(bad) // report the first bad check deterministically
		name := bad[0]
		got, _ := json.Marshal(in[name])
		return nil, &InvalidReportError{
			Field:  group + "." + truncate(name, 64),
			Reason: fmt.Sprintf("%s is not one of \"Detected\", \"Not detected\", \"Unknown\"", truncate(string(got), 40)),
		}
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
