package fetcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/verdicthq/verdict/report"
)

// Request header values shared by every request (the transport only reads them).
var (
	acceptJSON     = []string{"application/json"}
	userAgentValue = []string{"verdict-fetcher/1"} // identifies verdict to Roundtable
)

// attemptError is the outcome of one failed HTTP attempt: which sentinel it
// maps to, whether another attempt may help, and what the breaker should make
// of it.
type attemptError struct {
	kind       error         // one of the Err* sentinels
	status     int           // HTTP status, 0 when no response arrived
	retryable  bool          // 429, 5xx and network errors
	retryAfter time.Duration // from a 429/503 Retry-After header; -1 when absent
	tripping   bool          // counts as a breaker failure
	detail     string
	cause      error // underlying error, may be nil
}

func (e *attemptError) Error() string {
	msg := e.kind.Error() + ": " + e.detail
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

func (e *attemptError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// newTransport builds the pooled, keep-alive transport with the configured
// connect, TLS and header timeouts. Redirects are not followed (see
// newHTTPClient): a report never moves, and following one could carry the
// bearer key to another path.
func newTransport(cfg Config) *http.Transport {
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   cfg.TLSHandshakeTimeout,
		ResponseHeaderTimeout: cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          cfg.MaxIdleConnsPerHost * 2,
		MaxIdleConnsPerHost:   cfg.MaxIdleConnsPerHost,
		MaxConnsPerHost:       cfg.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

func newHTTPClient(tr http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// reportURL is the report URL of a validated session id. PathEscape is a
// second guard: ValidateSessionID already allows no character it would change.
func (c *Client) reportURL(sessionID string) string {
	return c.cfg.BaseURL + "/v1/sessions/" + url.PathEscape(sessionID) + "/report"
}

// attempt makes one HTTP request for the report and classifies the outcome.
func (c *Client) attempt(ctx context.Context, sessionID string) (*report.Report, *attemptError) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.reportURL(sessionID), nil)
	if err != nil {
		return nil, &attemptError{kind: report.ErrUnavailable, detail: "build request", cause: err, retryAfter: -1}
	}
	// Canonical keys, values built once in New: no per-request work.
	if c.auth != nil {
		req.Header["Authorization"] = c.auth
	}
	req.Header["Accept"] = acceptJSON
	req.Header["User-Agent"] = userAgentValue

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.cfg.Observer.Upstream("error", time.Since(start))
		return nil, networkError(ctx, "request", err)
	}
	defer resp.Body.Close()

	if resp.StatusCode == http.StatusOK {
		body, ae := c.readBody(ctx, resp)
		if ae != nil {
			c.cfg.Observer.Upstream("error", time.Since(start))
			return nil, ae
		}
		c.cfg.Observer.Upstream("200", time.Since(start))
		rep, err := report.DecodeOwned(body)
		if err != nil {
			return nil, &attemptError{kind: report.ErrInvalid, status: 200, retryAfter: -1, detail: "decode", cause: err}
		}
		if rep.SessionID != sessionID {
			return nil, &attemptError{kind: report.ErrInvalid, status: 200, retryAfter: -1,
				detail: fmt.Sprintf("session_id: the report is for session %q, not %q", clip(rep.SessionID, 64), sessionID)}
		}
		return rep, nil
	}

	snippet := drain(resp.Body, snippetLen+len(c.cfg.APIKey))
	c.cfg.Observer.Upstream(strconv.Itoa(resp.StatusCode), time.Since(start))
	e := &attemptError{status: resp.StatusCode, retryAfter: -1, detail: fmt.Sprintf("status %d%s", resp.StatusCode, c.redact(snippet))}
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound:
		e.kind = report.ErrNotFound
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.kind = report.ErrUnauthorized
	case code == http.StatusTooManyRequests:
		e.kind, e.retryable = report.ErrRateLimited, true
		e.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case code >= 500:
		e.kind, e.retryable, e.tripping = report.ErrUnavailable, true, true
		e.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	default: // other 1xx/2xx/3xx/4xx: Roundtable documents none; retrying will not help
		e.kind = report.ErrUnavailable
		e.detail = "unexpected " + e.detail
	}
	return nil, e
}

// readBody reads a 200 body through the size limit.
func (c *Client) readBody(ctx context.Context, resp *http.Response) ([]byte, *attemptError) {
	limit := c.cfg.MaxBodyBytes
	if resp.ContentLength > limit {
		return nil, &attemptError{kind: report.ErrInvalid, status: 200, retryAfter: -1,
			detail: fmt.Sprintf("body of %d bytes is over the %d-byte limit", resp.ContentLength, limit)}
	}
	if resp.ContentLength >= 0 { // the usual case: one exact allocation
		body := make([]byte, resp.ContentLength)
		if _, err := io.ReadFull(resp.Body, body); err != nil {
			return nil, networkError(ctx, "read body", err)
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, networkError(ctx, "read body", err)
	}
	if int64(len(body)) > limit {
		return nil, &attemptError{kind: report.ErrInvalid, status: 200, retryAfter: -1,
			detail: fmt.Sprintf("body is over the %d-byte limit", limit)}
	}
	return body, nil
}

// networkError classifies a transport failure: unavailable and a breaker
// failure, retryable unless the fetch's budget is spent (ctx's deadline) or
// the fetch was cancelled (every caller gave up: not the upstream's fault).
// A connect or header timeout inside the budget is retryable.
func networkError(ctx context.Context, what string, err error) *attemptError {
	e := &attemptError{kind: report.ErrUnavailable, retryAfter: -1, retryable: true, tripping: true, detail: what, cause: err}
	switch ctx.Err() {
	case context.Canceled:
		e.retryable, e.tripping, e.detail = false, false, what+" cancelled"
		e.cause = errors.Join(context.Canceled, err)
	case context.DeadlineExceeded:
		e.retryable, e.detail = false, what+": fetch budget exhausted"
	}
	return e
}

// snippetLen is how much of an error body goes into an error text.
const snippetLen = 160

// drain reads n bytes of an error body for the message, then discards up to
// 64 KiB more so the connection can be reused.
func drain(body io.Reader, n int) string {
	buf := make([]byte, n)
	n, _ = io.ReadFull(body, buf)
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	return string(buf[:n])
}

// redact makes an upstream error body safe for an error text: the key is
// cut out (an upstream that echoes the Authorization header must not leak
// it), then the text is cut to snippetLen bytes and quoted. drain read
// len(key) bytes more than snippetLen, so every key starting within the cut
// is whole in the read; a key the read cut off is dropped with the end of
// the read.
func (c *Client) redact(snippet string) string {
	if key := c.cfg.APIKey; key != "" {
		// A key the read cut off would escape ReplaceAll, and the shorter
		// placeholder could then pull its start within the final cut: drop
		// an end of the read that begins the key.
		for n := min(len(key)-1, len(snippet)); n > 0; n-- {
			if strings.HasSuffix(snippet, key[:n]) {
				snippet = snippet[:len(snippet)-n]
				break
			}
		}
		snippet = strings.ReplaceAll(snippet, key, "[redacted]")
	}
	if len(snippet) > snippetLen {
		snippet = snippet[:snippetLen]
	}
	snippet = strings.TrimSpace(snippet)
	if snippet == "" {
		return ""
	}
	return fmt.Sprintf(" (body %q)", snippet)
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date); -1
// when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 || secs > 24*3600 {
			return -1
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return -1
}

// clip cuts s to at most n bytes for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
