package api

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/verdicthq/verdict/engine"
)

// appendDecision appends the JSON of a DecisionResponse to b. It writes what
// encoding/json would (same field names, order and escaping, as the tests
// check) without reflection: the answer is encoded on every decision.
func appendDecision(b []byte, r *DecisionResponse) ([]byte, error) {
	b = append(b, `{"decision_id":`...)
	b = appendString(b, r.DecisionID)
	b = append(b, `,"session_id":`...)
	b = appendString(b, r.SessionID)
	b = append(b, `,"outcome":`...)
	b = appendString(b, string(r.Outcome))
	b = append(b, `,"reason":`...)
	b = appendString(b, r.Reason)
	b = append(b, `,"policy":{"name":`...)
	b = appendString(b, r.Policy.Name)
	b = append(b, `,"version":`...)
	b = appendString(b, r.Policy.Version)
	b = append(b, `},"fired_rules":[`...)
	for i, f := range r.FiredRules {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendString(b, f.ID)
		b = append(b, `,"action":`...)
		b = appendString(b, string(f.Action))
		if f.Description != "" {
			b = append(b, `,"description":`...)
			b = appendString(b, f.Description)
		}
		b = append(b, `,"inputs":`...)
		var err error
		if b, err = appendInputs(b, f.Inputs); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if len(r.RuleErrors) > 0 {
		re, err := json.Marshal(r.RuleErrors)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"rule_errors":`...)
		b = append(b, re...)
	}
	b = append(b, `,"report_status":`...)
	b = appendString(b, r.ReportStatus)
	b = append(b, `,"risk_score":`...)
	if r.RiskScore == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*r.RiskScore), 10)
	}
	b = append(b, `,"recommended_action":`...)
	if r.RecommendedAction == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *r.RecommendedAction)
	}
	b = append(b, `,"decided_at":"`...)
	b = r.DecidedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if r.DryRun {
		b = append(b, `,"dry_run":true`...)
	}
	return append(b, '}'), nil
}

// appendInputs appends a fired rule's inputs as a JSON object with sorted
// keys (Inputs.Sorted: the engine's already are). Strings, numbers and
// booleans are written directly; anything else goes through encoding/json.
func appendInputs(b []byte, in engine.Inputs) ([]byte, error) {
	if len(in) == 0 {
		return append(b, "{}"...), nil
	}
	b = append(b, '{')
	for i, x := range in.Sorted() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, x.Path)
		b = append(b, ':')
		switch v := x.Value.(type) {
		case string:
			b = appendString(b, v)
		case float64:
			b = appendFloat(b, v)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case bool:
			b = strconv.AppendBool(b, v)
		case nil:
			b = append(b, "null"...)
		default:
			js, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			b = append(b, js...)
		}
	}
	return append(b, '}'), nil
}

// appendFloat writes f as encoding/json does (ES6 number formatting); NaN and
// infinities, which JSON cannot hold, become null.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string with encoding/json's escaping:
// quotes, backslashes, control characters, <, > and &, U+2028 and U+2029,
// and invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
