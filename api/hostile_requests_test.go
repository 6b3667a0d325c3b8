package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// hostileRequest is one case of testdata/hostile/requests/cases.json (see
// the README beside it).
type hostileRequest struct {
	Name        string            `json:"name"`
	Raw         string            `json:"raw"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Key         string            `json:"key"`
	ContentType string            `json:"content_type"`
	Headers     map[string]string `json:"headers"`
	Body        string            `json:"body"`
	Parts       []struct {
		Text   string `json:"text"`
		Repeat string `json:"repeat"`
		Times  int    `json:"times"`
		Hex    string `json:"hex"`
	} `json:"parts"`
	Gzip       bool   `json:"gzip"`
	WantStatus int    `json:"want_status"`
	WantCode   string `json:"want_code"`
}

var hostileKeys = map[string]string{"": keyCheckout, "checkout": keyCheckout, "risk": keyRisk, "ops": keyOps, "auditor": keyAuditor, "none": ""}

func (c *hostileRequest) body(t *testing.T) []byte {
	b := []byte(c.Body)
	for _, p := range c.Parts {
		switch {
		case p.Hex != "":
			raw, err := hex.DecodeString(p.Hex)
			if err != nil {
				t.Fatalf("hex %q: %v", p.Hex, err)
			}
			b = append(b, raw...)
		case p.Times > 0:
			b = append(b, strings.Repeat(p.Repeat, p.Times)...)
		default:
			b = append(b, p.Text...)
		}
	}
	if c.Gzip {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write(b)
		_ = zw.Close()
		b = z.Bytes()
	}
	return b
}

// TestHostileRequests sends every case of testdata/hostile/requests to a
// real server and checks its status and error code: bad input gets a clear
// JSON error, never a 500, a hang or a body read as something else.
func TestHostileRequests(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "hostile", "requests", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct{ Cases []hostileRequest }
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatalf("cases.json: %v", err)
	}
	if len(corpus.Cases) < 30 {
		t.Fatalf("only %d cases", len(corpus.Cases))
	}
	store, err := audit.Open(context.Background(), filepath.Join(t.TempDir(), "verdict.db"), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: store})
	for _, c := range corpus.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var res *result
			if c.Raw != "" {
				res = sendRaw(t, h.url, c.Raw)
				if res.status >= 400 {
					var body struct {
						Error struct{ Code, Message string }
					}
					if err := json.Unmarshal(res.body, &body); err != nil || body.Error.Message == "" {
						t.Fatalf("answer is not a JSON error: %q", res.body)
					}
				}
			} else {
				r := req{method: c.Method, path: c.Path, key: hostileKeys[c.Key], ctype: c.ContentType, body: string(c.body(t)), header: map[string]string{}}
				if r.method == "" {
					r.method = http.MethodPost
				}
				if r.path == "" {
					r.path = "/v1/decisions"
				}
				if r.ctype == "" && r.method == http.MethodPost {
					r.ctype = "application/json"
				}
				if c.Gzip {
					r.header["Content-Encoding"] = "gzip"
				}
				for k, v := range c.Headers {
					r.header[k] = v
				}
				res = h.do(r) // checks the answer against openapi.json too
			}
			if res.status != c.WantStatus {
				t.Fatalf("status %d, want %d: %s", res.status, c.WantStatus, res.body)
			}
			if c.WantCode != "" {
				if got := res.errorCode(t); got != c.WantCode {
					t.Fatalf("code %q, want %q: %s", got, c.WantCode, res.body)
				}
			}
		})
	}
}

// sendRaw writes raw on a new connection to the server at base and reads
// one answer.
func sendRaw(t *testing.T, base, raw string) *result {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // a hang fails the case instead of the suite
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return &result{status: resp.StatusCode, header: resp.Header, body: b}
}
