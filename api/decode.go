package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// readBody reads the request body through the size limit: a body over limit
// bytes is a 413, whatever Content-Length claims.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	req := c.Request()
	if req.ContentLength > limit {
		return nil, apiError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the body is larger than %d bytes", limit)
	}
	var body []byte
	var err error
	if n := req.ContentLength; n >= 0 {
		// The usual case: read exactly the announced length (net/http never
		// gives more) into one buffer of that size.
		body = make([]byte, n)
		_, err = io.ReadFull(req.Body, body)
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, limit))
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apiError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the body is larger than %d bytes", limit)
		}
		return nil, apiError(http.StatusBadRequest, CodeMalformedJSON, "the body could not be read: %v", err)
	}
	return body, nil
}

// requireMediaType checks the Content-Type against the accepted media types
// (the first is named in the error); parameters other than charset=utf-8 are
// refused.
func requireMediaType(c echo.Context, accepted ...string) (string, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	for _, a := range accepted {
		if ct == a { // the usual case, without parsing
			return a, nil
		}
	}
	if ct == "" {
		return "", apiError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type is missing: send %s", accepted[0])
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", apiError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type %q is malformed: send %s", ct, accepted[0])
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return "", apiError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "charset %q is not supported: send UTF-8", cs)
	}
	for _, a := range accepted {
		if mt == a {
			return mt, nil
		}
	}
	return "", apiError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type %q is not supported: send %s", mt, accepted[0])
}

// decodeJSON reads a JSON request strictly into dst: Content-Type
// application/json, the body limit, exactly one JSON object, no unknown
// fields, no trailing data. It returns the raw body too.
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

// decodeStrict decodes one JSON object from body into dst, refusing unknown
// fields and anything after the object.
func decodeStrict(body []byte, dst any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return apiError(http.StatusBadRequest, CodeMalformedJSON, "the body is empty: send a JSON object")
	}
	if trimmed[0] != '{' {
		return apiError(http.StatusBadRequest, CodeMalformedJSON, "the body must be one JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apiError(http.StatusBadRequest, CodeMalformedJSON, "the body must hold exactly one JSON object: data after it")
	}
	return nil
}

// jsonError turns an encoding/json error into a 400 that says where.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return apiError(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return apiError(http.StatusBadRequest, CodeInvalidField, "%s: want %s, got JSON %s", field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiError(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON: the body ends early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return apiError(http.StatusBadRequest, CodeUnknownField, "unknown field %s", name)
	}
	return apiError(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON: %v", err)
}

// decodeContext turns the caller's context into the map the engine reads.
// Absent and null mean no context; anything but an object, or bytes that
// are not UTF-8, is a 400.
func decodeContext(raw json.RawMessage) (map[string]any, json.RawMessage, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, nil, nil
	}
	if t[0] != '{' {
		return nil, nil, apiError(http.StatusBadRequest, CodeInvalidContext, "context must be a JSON object")
	}
	if !utf8.Valid(t) { // encoding/json would quietly read such bytes as U+FFFD
		return nil, nil, apiError(http.StatusBadRequest, CodeInvalidContext, "context is not valid UTF-8")
	}
	var m map[string]any
	if err := json.Unmarshal(t, &m); err != nil {
		return nil, nil, apiError(http.StatusBadRequest, CodeInvalidContext, "context: %v", err)
	}
	return m, json.RawMessage(t), nil
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
