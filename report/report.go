package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
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

// wireCore mirrors Report loosely, so that missing, null and mistyped
// fields can be told apart and named. Strings that may be absent decode to
// "" either way.
type wireCore struct {
	SessionID         string                `json:"session_id"`
	UserID            string                `json:"user_id"`
	Tags              []string              `json:"tags"`
	RiskScore         json.RawMessage       `json:"risk_score"`
	RiskExplanation   string                `json:"risk_explanation"`
	RecommendedAction string                `json:"recommended_action"`
	BiometricChecks   map[string]CheckValue `json:"biometric_checks"`
	DeviceChecks      map[string]CheckValue `json:"device_checks"`
}

// wireReport adds the deprecated user_logs, decoded in the same pass when
// it has the documented shape.
type wireReport struct {
	wireCore
	UserLogs []UserLog `json:"user_logs"`
}

// checkGroups holds the check groups loosely typed, to name a bad check on
// the (rare) error path.
type checkGroups struct {
	BiometricChecks map[string]any `json:"biometric_checks"`
	DeviceChecks    map[string]any `json:"device_checks"`
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
// itself as Raw (the client hands over a body it no longer uses). It tries
// the hand-written scanner first (report_scan.go) and falls back to
// decodeReportStd, the reference, on anything the scanner does not handle:
// every error comes from decodeReportStd.
func decodeReport(raw []byte, copyRaw bool) (*Report, error) {
	r, ok := scanReport(raw)
	if !ok {
		return decodeReportStd(raw, copyRaw)
	}
	r.Raw = raw
	if copyRaw {
		r.Raw = append(json.RawMessage(nil), raw...)
	}
	return r, nil
}

// decodeReportStd decodes with encoding/json. It defines what Decode
// returns; scanReport only takes the inputs on which it gives the same.
func decodeReportStd(raw []byte, copyRaw bool) (*Report, error) {
	var w wireReport
	err := json.Unmarshal(raw, &w)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && (te.Field == "user_logs" || strings.HasPrefix(te.Field, "user_logs.")) {
		// user_logs has changed shape: decode the rest without it.
		w = wireReport{}
		err = json.Unmarshal(raw, &w.wireCore)
	}
	if err != nil {
		if errors.As(err, &te) && te.Field != "" {
			te.Field = strings.TrimPrefix(te.Field, "wireCore.") // the embedded struct's name
			for _, group := range []string{"biometric_checks", "device_checks"} {
				if te.Field == group || strings.HasPrefix(te.Field, group+".") {
					return nil, badCheck(raw, group)
				}
			}
			return nil, &InvalidError{Field: te.Field, Reason: fmt.Sprintf("a JSON %s is not allowed here", te.Value)}
		}
		return nil, &InvalidError{Reason: "not a JSON report object: " + jsonErrText(err)}
	}
	if w.SessionID == "" {
		return nil, &InvalidError{Field: "session_id", Reason: "missing"}
	}
	r := &Report{
		SessionID: w.SessionID, UserID: w.UserID, Tags: w.Tags, RiskExplanation: w.RiskExplanation,
		RecommendedAction: w.RecommendedAction, UserLogs: w.UserLogs, Raw: raw,
	}
	if copyRaw {
		r.Raw = append(json.RawMessage(nil), raw...)
	}
	score, err := decodeScore(w.RiskScore)
	if err != nil {
		return nil, err
	}
	r.RiskScore = score
	var ok bool
	if r.BiometricChecks, ok = completeChecks(w.BiometricChecks, BiometricCheckNames); !ok {
		return nil, badCheck(raw, "biometric_checks")
	}
	if r.DeviceChecks, ok = completeChecks(w.DeviceChecks, DeviceCheckNames); !ok {
		return nil, badCheck(raw, "device_checks")
	}
	r.indexChecks()
	return r, nil
}

// decodeScore reads risk_score: a JSON number (not a string) with an integer
// value in 0..100. 75.0 and 7.5e1 are accepted as 75.
func decodeScore(raw json.RawMessage) (int, error) {
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

// completeChecks checks every value and adds the documented checks the
// report lacks as Unknown; ok is false when a value is not one of the three.
func completeChecks(in map[string]CheckValue, known []string) (Checks, bool) {
	if in == nil {
		in = make(map[string]CheckValue, len(known))
	}
	for _, v := range in {
		if !v.Valid() {
			return nil, false
		}
	}
	for _, name := range known {
		if _, ok := in[name]; !ok {
			in[name] = Unknown
		}
	}
	return Checks(in), true
}

// badCheck decodes raw again, loosely, to name the first bad check of group
// (by name) and show its value as sent.
func badCheck(raw []byte, group string) error {
	var g checkGroups
	_ = json.Unmarshal(raw, &g)
	in := g.BiometricChecks
	if group == "device_checks" {
		in = g.DeviceChecks
	}
	var bad []string
	for name, v := range in {
		if s, ok := v.(string); !ok || !CheckValue(s).Valid() {
			bad = append(bad, name)
		}
	}
	if len(bad) == 0 { // the group itself is not an object
		return &InvalidError{Field: group, Reason: "not an object of checks"}
	}
	sort.Strings(bad)
	name := bad[0]
	got, _ := json.Marshal(in[name])
	return &InvalidError{
		Field:  group + "." + truncate(name, 64),
		Reason: fmt.Sprintf("%s is not one of \"Detected\", \"Not detected\", \"Unknown\"", truncate(string(got), 40)),
	}
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
