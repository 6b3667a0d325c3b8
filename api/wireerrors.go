package api

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
)

// JSONErrors wraps the server's listener so that the few answers net/http
// writes by itself, before any handler runs, are JSON errors like every
// other: a request line, URL or header it cannot parse (a bad escape such as
// GET /v1/decisions/%zz, a missing Host), headers over the size limit, an
// unknown Transfer-Encoding. net/http has no hook for these: it writes a
// fixed plain-text answer straight to the connection and closes it, so the
// connection recognises that answer (status line, then exactly net/http's
// error headers) and writes the JSON form instead. Every other write passes
// through untouched.
func JSONErrors(ln net.Listener) net.Listener { return jsonErrorsListener{ln} }

type jsonErrorsListener struct{ net.Listener }

// Accept wraps each connection.
func (l jsonErrorsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonErrorsConn{Conn: c}, nil
}

// jsonErrorsConn is a connection whose net/http plain-text error answers are
// rewritten as JSON.
type jsonErrorsConn struct{ net.Conn }

// serverErrorHeaders are the headers net/http writes, in this order, after
// the status line of its own error answers (net/http/server.go, conn.serve).
// A handler's answer never has them so: net/http sorts a handler's headers,
// and Connection comes before Content-Type.
const serverErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// Write writes p, or its JSON form when p is one of net/http's own error
// answers; it reports p as written either way.
func (c *jsonErrorsConn) Write(p []byte) (int, error) {
	if out, ok := jsonServerError(p); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite half-closes the connection when the underlying one can, as
// net/http does after an answer to headers that were too large.
func (c *jsonErrorsConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// jsonServerError returns the JSON form of one of net/http's plain-text
// error answers, ok false for anything else.
func jsonServerError(p []byte) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	if len(p) < len(proto)+3 || string(p[:len(proto)]) != proto || p[len(proto)] < '4' { // answers under 400: the usual case
		return nil, false
	}
	end := bytes.Index(p, []byte(serverErrorHeaders))
	if end < 0 || bytes.IndexByte(p[:end], '\n') >= 0 { // the headers must follow the status line
		return nil, false
	}
	status, err := strconv.Atoi(string(p[len(proto) : len(proto)+3]))
	if err != nil {
		return nil, false
	}
	detail := string(p[end+len(serverErrorHeaders):])
	code, msg := CodeBadRequest, "the request line, URL or headers could not be parsed (for example a bad escape such as %zz)"
	switch {
	case status == http.StatusRequestHeaderFieldsTooLarge:
		msg = "the request headers are too large"
	case status == http.StatusNotImplemented:
		code, msg = CodeUnsupportedEncoding, "the Transfer-Encoding is not supported"
	default:
		if text, ok := strings.CutPrefix(detail, "400 Bad Request: "); ok { // e.g. "missing required Host header"
			msg = "the request could not be parsed: " + text
		}
	}
	body, err := json.Marshal(errorBody{Error: &Error{Status: status, Code: code, Message: msg}})
	if err != nil {
		return nil, false
	}
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), len(body), body), true
}
