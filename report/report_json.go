package report

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// decodeOptions are the rules Decode has always had (it was written over
// encoding/json) kept on json v2: field names match case-insensitively, a
// later duplicate field wins (duplicate check groups merge), invalid UTF-8
// reads as U+FFFD, null leaves a string as it was, unknown fields are
// ignored. A report is Roundtable's, not
// a caller's: it is read as leniently as before, and validated after.
var decodeOptions = json.JoinOptions(
	json.MatchCaseInsensitiveNames(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
	jsonv1.MergeWithLegacySemantics(true),
)

// wireJSON is the report as decoded by json v2, before validation. The
// check groups and user_logs decode themselves (UnmarshalJSONFrom), so one
// pass over the body fills everything.
type wireJSON struct {
	SessionID         string         `json:"session_id"`
	UserID            string         `json:"user_id"`
	Tags              []string       `json:"tags"`
	RiskScore         jsontext.Value `json:"risk_score"`
	RiskExplanation   string         `json:"risk_explanation"`
	RecommendedAction string         `json:"recommended_action"`
	UserLogs          userLogs       `json:"user_logs"`
	BiometricChecks   checkGroup     `json:"biometric_checks"`
	DeviceChecks      checkGroup     `json:"device_checks"`
}

// checkGroup is one group of checks as read: the values that are one of
// the three, and (as sent) those that are not. Validation waits for the
// whole body, because a later duplicate may overwrite a bad value.
type checkGroup struct {
	checks   Checks
	bad      map[string]string // name → the value as sent, for the error
	notGroup bool              // the group is not an object (nor null)
}

// UnmarshalJSONFrom reads a check group: an object of check values, or null.
func (g *checkGroup) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '{':
	default:
		g.notGroup = true
		return dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if g.checks == nil {
		g.checks = make(Checks, len(biometricCheckNames)+2)
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		n := name.String() // before the next read voids the token
		val, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if v, ok := checkValueOf(val); ok {
			g.checks[n] = v
			delete(g.bad, n)
			continue
		}
		if g.bad == nil {
			g.bad = make(map[string]string, 1)
		}
		delete(g.checks, n)
		g.bad[n] = string(val)
	}
	_, err := dec.ReadToken()
	return err
}

// checkValueOf returns the check value a JSON value holds, false for
// anything but one of the three strings (escapes allowed).
func checkValueOf(val jsontext.Value) (CheckValue, bool) {
	switch string(val) { // the usual case: no escapes
	case `"Detected"`:
		return Detected, true
	case `"Not detected"`:
		return NotDetected, true
	case `"Unknown"`:
		return Unknown, true
	}
	if val.Kind() != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(val, &s, decodeOptions) != nil {
		return "", false
	}
	v := CheckValue(s)
	return v, v.Valid()
}

// complete validates the group and adds the documented checks it lacks as
// Unknown.
func (g *checkGroup) complete(group string, known []string) (Checks, error) {
	if g.notGroup {
		return nil, &InvalidError{Field: group, Reason: "not an object of checks"}
	}
	if len(g.bad) > 0 {
		names := make([]string, 0, len(g.bad))
		for n := range g.bad {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, &InvalidError{
			Field:  group + "." + truncate(names[0], 64),
			Reason: fmt.Sprintf("%s is not one of \"Detected\", \"Not detected\", \"Unknown\"", truncate(g.bad[names[0]], 40)),
		}
	}
	c := g.checks
	if c == nil {
		c = make(Checks, len(known))
	}
	for _, name := range known {
		if _, ok := c[name]; !ok {
			c[name] = Unknown
		}
	}
	return c, nil
}

// userLogs is the deprecated user_logs field: kept when it has the
// documented shape, dropped (without an error) when not.
type userLogs []UserLog

// UnmarshalJSONFrom reads user_logs leniently.
func (u *userLogs) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	var logs []UserLog
	if json.Unmarshal(val, &logs, decodeOptions) != nil {
		*u = nil
		return nil
	}
	*u = logs
	return nil
}

// decodeReportJSON decodes and validates a report with json v2.
func decodeReportJSON(raw []byte, copyRaw bool) (*Report, error) {
	var w wireJSON
	if err := json.Unmarshal(raw, &w, decodeOptions); err != nil {
		return nil, invalidJSON(err)
	}
	if w.SessionID == "" {
		return nil, &InvalidError{Field: "session_id", Reason: "missing"}
	}
	r := &Report{
		SessionID: w.SessionID, UserID: w.UserID, Tags: w.Tags, RiskExplanation: w.RiskExplanation,
		RecommendedAction: w.RecommendedAction, UserLogs: []UserLog(w.UserLogs), Raw: raw,
	}
	if copyRaw {
		r.Raw = append([]byte(nil), raw...)
	}
	score, err := decodeScore([]byte(w.RiskScore))
	if err != nil {
		return nil, err
	}
	r.RiskScore = score
	if r.BiometricChecks, err = w.BiometricChecks.complete("biometric_checks", BiometricCheckNames); err != nil {
		return nil, err
	}
	if r.DeviceChecks, err = w.DeviceChecks.complete("device_checks", DeviceCheckNames); err != nil {
		return nil, err
	}
	r.indexChecks()
	return r, nil
}

// invalidJSON turns a json v2 error into an *InvalidError: a field of the
// wrong type is named; broken JSON says where.
func invalidJSON(err error) error {
	var se *json.SemanticError
	if errors.As(err, &se) && se.JSONPointer != "" {
		field := strings.TrimPrefix(string(se.JSONPointer), "/")
		if i := strings.IndexByte(field, '/'); i >= 0 {
			field = field[:i]
		}
		kind := "value"
		switch se.JSONKind {
		case '"':
			kind = "string"
		case '0':
			kind = "number"
		case 't', 'f':
			kind = "bool"
		case '{':
			kind = "object"
		case '[':
			kind = "array"
		case 'n':
			kind = "null"
		}
		return &InvalidError{Field: truncate(field, 64), Reason: fmt.Sprintf("a JSON %s is not allowed here", kind)}
	}
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		return &InvalidError{Reason: fmt.Sprintf("not a JSON report object: %v (at byte %d)", syn.Err, syn.ByteOffset)}
	}
	return &InvalidError{Reason: "not a JSON report object: " + err.Error()}
}
