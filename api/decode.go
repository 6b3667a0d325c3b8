package api

import (
	"bytes"
	json1 "encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/report"
)

// decodeJSON reads a JSON request strictly into dst: Content-Type
// application/json, the body limit, exactly one JSON object, no unknown
// fields, no duplicate fields, no trailing data. It returns the raw body too.
func decodeJSON(c echo.Context, limit int64, dst any) ([]byte, error) {
	if _, err := requireMediaType(c, echo.MIMEApplicationJSON); err != nil {
		return nil, err
	}
	body, err := readBody(c, limit)
	if err != nil {
		return nil, err
	}
	return body, decodeStrict(body, dst)
}

// strictOptions are json v2's defaults (a duplicate member name, invalid
// UTF-8 and anything after the value are errors) plus unknown members
// refused. Field names match regardless of case but with their underscores,
// as they did under encoding/json ("Session_ID" is session_id, "sessionId"
// is unknown); a field given twice, in any case, is a duplicate.
var strictOptions = json.JoinOptions(
	json.RejectUnknownMembers(true),
	json.MatchCaseInsensitiveNames(true),
	jsonv1.MatchCaseSensitiveDelimiter(true),
)

// decodeStrict decodes one JSON object from body into dst with
// strictOptions.
func decodeStrict(body []byte, dst any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return apiError(http.StatusBadRequest, CodeMalformedJSON, "the body is empty: send a JSON object")
	}
	if trimmed[0] != '{' {
		return apiError(http.StatusBadRequest, CodeMalformedJSON, "the body must be one JSON object")
	}
	if err := json.Unmarshal(body, dst, strictOptions); err != nil {
		return jsonError(err, body)
	}
	return nil
}

// jsonError turns a json v2 error into a 400 that says what and where.
func jsonError(err error, body []byte) error {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	var ae *Error
	switch {
	case errors.As(err, &ae): // from a field's own decoder
		return ae
	case errors.Is(err, jsontext.ErrDuplicateName):
		var at jsontext.Pointer // the syntax layer finds exact duplicates, the semantic one a field named twice in two cases
		if errors.As(err, &syn) {
			at = syn.JSONPointer
		} else if errors.As(err, &sem) {
			at = sem.JSONPointer
		}
		return apiError(http.StatusBadRequest, CodeDuplicateField, "duplicate field %s: send each field once", fieldName(at))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiError(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON: the body ends early")
	case errors.As(err, &syn):
		if !utf8.Valid(body) { // json v2 refuses invalid UTF-8 (encoding/json read it as U+FFFD)
			if field := fieldName(syn.JSONPointer); field == "context" || strings.HasPrefix(field, "context.") {
				return apiError(http.StatusBadRequest, CodeInvalidContext, "context is not valid UTF-8")
			}
			return apiError(http.StatusBadRequest, CodeMalformedJSON, "the body is not valid UTF-8 (at byte %d)", syn.ByteOffset)
		}
		if syn.JSONPointer == "" && jsontext.Value(body[:syn.ByteOffset]).IsValid() { // one whole object, then more
			return apiError(http.StatusBadRequest, CodeMalformedJSON, "the body must hold exactly one JSON object: data after it (at byte %d)", syn.ByteOffset)
		}
		return apiError(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON at byte %d: %v", syn.ByteOffset, syn.Err)
	case errors.As(err, &sem) && errors.Is(err, json.ErrUnknownName):
		return apiError(http.StatusBadRequest, CodeUnknownField, "unknown field %s", fieldName(sem.JSONPointer))
	case errors.As(err, &sem):
		field := fieldName(sem.JSONPointer)
		if field == "" {
			field = "(body)"
		}
		want := "another type"
		if sem.GoType != nil {
			want = sem.GoType.String()
		}
		return apiError(http.StatusBadRequest, CodeInvalidField, "%s: want %s, got JSON %s", field, want, kindName(sem.JSONKind))
	}
	return apiError(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON: %v", err)
}

// fieldName writes a JSON pointer (/context/amount) as a dotted field name
// (context.amount), cut to a readable length.
func fieldName(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
		if b.Len() > 128 {
			return b.String()[:128] + "…"
		}
	}
	return b.String()
}

// kindName names a JSON kind as the error messages do.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

// decideBody is the body of POST /v1/decisions as decoded: the context is
// read into the engine's map and cut from the body as sent, in one pass.
type decideBody struct {
	SessionID string       `json:"session_id"`
	Context   contextField `json:"context"`
}

// contextField decodes the caller's context (see decodeContext for the
// rules): the map the engine reads, and the bytes as sent, for the trace.
type contextField struct {
	body   []byte // the whole request body, which raw is cut from
	limits ContextLimits
	m      map[string]any
	raw    []byte
}

// UnmarshalJSONFrom reads the context: null, or an object.
func (c *contextField) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '{':
	default:
		if err := dec.SkipValue(); err != nil {
			return err
		}
		return apiError(http.StatusBadRequest, CodeInvalidContext, "context must be a JSON object")
	}
	start, depth := dec.InputOffset(), dec.StackDepth() // just after the member name: then ':' and the value
	var v any                                           // json v2 decodes into an any without reflection: faster than into the map type
	if err := json.UnmarshalDecode(dec, &v); err != nil {
		if dec.StackDepth()-depth > c.limits.MaxDepth { // e.g. over the decoder's own depth limit
			return c.limits.tooDeep()
		}
		return err
	}
	c.m, _ = v.(map[string]any) // an object: PeekKind said so
	if err := c.limits.check(c.m); err != nil {
		return err
	}
	c.raw = bytes.TrimLeft(c.body[start:dec.InputOffset()], " \t\r\n:")
	return nil
}

// decodeDecideRequest decodes and checks a POST /v1/decisions body: the
// session id, then the context (within the server's context limits).
func (s *Server) decodeDecideRequest(body []byte) (sessionID string, ctx map[string]any, ctxRaw json1.RawMessage, err error) {
	req := decideBody{Context: contextField{body: body, limits: s.contextLimits}}
	if err := decodeStrict(body, &req); err != nil {
		return "", nil, nil, err
	}
	if err := report.ValidateSessionID(req.SessionID); err != nil {
		return "", nil, nil, err
	}
	return req.SessionID, req.Context.m, req.Context.raw, nil
}

// decodeContext turns the caller's context into the map the engine reads.
// Absent and null mean no context; anything but an object, or a context over
// the server's limits, is a 400. (The body it comes from was decoded strictly
// already: valid UTF-8, no duplicate names.)
func (s *Server) decodeContext(raw json1.RawMessage) (map[string]any, json1.RawMessage, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, nil, nil
	}
	if t[0] != '{' {
		return nil, nil, apiError(http.StatusBadRequest, CodeInvalidContext, "context must be a JSON object")
	}
	var v any // faster than into the map type (see contextField)
	if err := json.Unmarshal(t, &v); err != nil {
		if !utf8.Valid(t) {
			return nil, nil, apiError(http.StatusBadRequest, CodeInvalidContext, "context is not valid UTF-8")
		}
		return nil, nil, apiError(http.StatusBadRequest, CodeInvalidContext, "context: %v", err)
	}
	m, _ := v.(map[string]any) // an object: t starts with '{' and decoded
	if err := s.contextLimits.check(m); err != nil {
		return nil, nil, err
	}
	return m, json1.RawMessage(t), nil
}

// validIdempotencyKey checks the Idempotency-Key header: 1..255 printable
// ASCII characters.
func validIdempotencyKey(k string) error {
	if len(k) > 255 {
		return apiError(http.StatusBadRequest, CodeInvalidHeader, "Idempotency-Key is longer than 255 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return apiError(http.StatusBadRequest, CodeInvalidHeader, "Idempotency-Key: character %d is not printable ASCII", i+1)
		}
	}
	return nil
}
