package api

import (
	"encoding/json"

	"github.com/verdicthq/verdict/report"
)

// parseDecideFast is the fast path of decoding a POST /v1/decisions body: the
// common, well-formed request {"session_id": "...", "context": {...}}
// without escapes, parsed without reflection. It returns ok=false for
// anything else — escapes, non-ASCII, duplicate or unknown keys, odd types,
// malformed JSON — and the caller then runs the strict encoding/json
// decoder, which accepts or rejects and names the error. So the fast path
// never accepts what the strict decoder would refuse (fuzzed against it),
// and never has to explain a refusal.
//
// The context value is only delimited here; decodeContext parses (and so
// validates) it.
func parseDecideFast(b []byte) (sessionID string, context []byte, ok bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", nil, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return "", nil, skipWS(b, i+1) == len(b)
	}
	seenID, seenCtx := false, false
	for {
		key, j, ok := plainBytes(b, i)
		if !ok {
			return "", nil, false
		}
		i = skipWS(b, j)
		if i >= len(b) || b[i] != ':' {
			return "", nil, false
		}
		i = skipWS(b, i+1)
		switch {
		case string(key) == "session_id": // compares without allocating
			if seenID {
				return "", nil, false
			}
			seenID = true
			var id []byte
			if id, i, ok = plainBytes(b, i); !ok {
				return "", nil, false
			}
			sessionID = string(id)
		case string(key) == "context":
			if seenCtx {
				return "", nil, false
			}
			seenCtx = true
			end, ok := skipValue(b, i)
			if !ok {
				return "", nil, false
			}
			context, i = b[i:end], end
		default:
			return "", nil, false
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return "", nil, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return sessionID, context, skipWS(b, i+1) == len(b)
		default:
			return "", nil, false
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainBytes reads a JSON string at b[i] made only of printable ASCII
// without escapes, and returns its content and the index after its closing
// quote.
func plainBytes(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, i, false
		}
	}
	return nil, i, false
}

// skipValue returns the index just after the JSON value starting at b[i]:
// objects and arrays by bracket depth (aware of strings), strings to their
// closing quote, literals and numbers to the next delimiter. It does not
// validate the value.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			case '"':
				end, ok := skipString(b, j)
				if !ok {
					return i, false
				}
				j = end - 1
			}
		}
		return i, false
	case '"':
		return skipString(b, i)
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		return j, j > i
	}
}

// skipString returns the index after the string starting at b[i] (a quote),
// honouring backslash escapes.
func skipString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return i, false
}

// decodeDecideRequest decodes and checks a POST /v1/decisions body: the
// session id, then the context. The fast path serves well-formed requests;
// everything else goes through the strict decoder, which names the error.
func decodeDecideRequest(body []byte) (sessionID string, ctx map[string]any, ctxRaw json.RawMessage, err error) {
	if id, raw, ok := parseDecideFast(body); ok && report.ValidateSessionID(id) == nil {
		if m, r, err := decodeContext(raw); err == nil {
			return id, m, r, nil
		}
	}
	var req decideRequest
	if err := decodeStrict(body, &req); err != nil {
		return "", nil, nil, err
	}
	if err := report.ValidateSessionID(req.SessionID); err != nil {
		return "", nil, nil, err
	}
	m, r, err := decodeContext(req.Context)
	if err != nil {
		return "", nil, nil, err
	}
	return req.SessionID, m, r, nil
}
