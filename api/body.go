package api

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// readBody reads the request body through the size limit: a body over limit
// bytes is a 413, whatever Content-Length claims. A gzip body
// (Content-Encoding: gzip) is decompressed, and the limit holds for both
// the bytes sent and the bytes they expand to; any other encoding is a 415
// unsupported_encoding, so compressed bytes are never read as JSON.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	req := c.Request()
	gzipped, err := bodyEncoding(req.Header.Values(echo.HeaderContentEncoding))
	if err != nil {
		return nil, err
	}
	if req.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	var body []byte
	if n := req.ContentLength; n >= 0 && !gzipped {
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
			return nil, tooLarge(limit)
		}
		return nil, apiError(http.StatusBadRequest, CodeMalformedBody, "the body could not be read: %v", err)
	}
	if gzipped {
		return gunzip(body, limit)
	}
	return body, nil
}

// bodyEncoding reads Content-Encoding: none or identity (false), gzip
// (true); anything else, several encodings included, is a 415.
func bodyEncoding(values []string) (gzipped bool, err error) {
	switch len(values) {
	case 0:
		return false, nil
	case 1:
		switch v := strings.ToLower(strings.TrimSpace(values[0])); v {
		case "", "identity":
			return false, nil
		case "gzip", "x-gzip":
			return true, nil
		}
	}
	shown := strings.Join(values, ", ")
	if len(shown) > 40 {
		shown = shown[:40] + "…"
	}
	return false, apiError(http.StatusUnsupportedMediaType, CodeUnsupportedEncoding,
		"Content-Encoding %q is not supported: send the body as is, or gzip", shown)
}

// gunzip decompresses a gzip body (one or more members) to at most limit
// bytes.
func gunzip(body []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, apiError(http.StatusBadRequest, CodeMalformedBody, "Content-Encoding is gzip, but the body is not gzip: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, apiError(http.StatusBadRequest, CodeMalformedBody, "the gzip body is broken: %v", err)
	}
	if int64(len(out)) > limit {
		return nil, apiError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the body expands to more than %d bytes", limit)
	}
	return out, nil
}

func tooLarge(limit int64) error {
	return apiError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the body is larger than %d bytes", limit)
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
