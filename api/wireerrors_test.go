package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestJSONServerError: net/http's own plain-text error answers become JSON
// errors; anything else, a handler's error answers included, passes as is.
func TestJSONServerError(t *testing.T) {
	rewritten := []struct {
		name, in   string
		status     string
		code, text string
	}{
		{"bad request line or URL", "HTTP/1.1 400 Bad Request" + serverErrorHeaders + "400 Bad Request", "400", CodeBadRequest, "%zz"},
		{"missing Host", "HTTP/1.1 400 Bad Request: missing required Host header" + serverErrorHeaders + "400 Bad Request: missing required Host header", "400", CodeBadRequest, "missing required Host header"},
		{"headers too large", "HTTP/1.1 431 Request Header Fields Too Large" + serverErrorHeaders + "431 Request Header Fields Too Large", "431", CodeBadRequest, "too large"},
		{"unknown Transfer-Encoding", "HTTP/1.1 501 Not Implemented" + serverErrorHeaders + "Unsupported transfer encoding", "501", CodeUnsupportedEncoding, "Transfer-Encoding"},
	}
	for _, c := range rewritten {
		t.Run(c.name, func(t *testing.T) {
			out, ok := jsonServerError([]byte(c.in))
			if !ok {
				t.Fatal("not rewritten")
			}
			head, body, _ := strings.Cut(string(out), "\r\n\r\n")
			if !strings.HasPrefix(head, "HTTP/1.1 "+c.status+" ") || !strings.Contains(head, "\r\nContent-Type: application/json\r\n") || !strings.Contains(head, "\r\nConnection: close") {
				t.Fatalf("head %q", head)
			}
			var e errorBody
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == nil || e.Error.Code != c.code || !strings.Contains(e.Error.Message, c.text) {
				t.Fatalf("body %q: %v", body, err)
			}
		})
	}
	for _, in := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nok",
		"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n400 Bad Request", // a handler's: headers sorted
		"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nX-Request-Id: x\r\n\r\n{}",
		`{"error":{"code":"x","message":"HTTP/1.1 400"}}`,
		"HTTP/1.1 4",
	} {
		if out, ok := jsonServerError([]byte(in)); ok {
			t.Fatalf("%q rewritten to %q", in, out)
		}
	}
}
