package roundtabletest_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/internal/syncbuf"
	"github.com/verdicthq/verdict/internal/testwait"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const key = "sk-sim-test-key"

func start(t *testing.T, opts roundtabletest.Options) *roundtabletest.Server {
	t.Helper()
	if opts.ReportsDir == "" {
		opts.ReportsDir = "../../report/testdata/reports"
	}
	srv, err := roundtabletest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// get sends GET url with the key and returns status, Retry-After and body.
func get(t *testing.T, url, bearer string) (int, string, string, error) {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(body), err
}

func sessionOf(t *testing.T, body string) string {
	t.Helper()
	var v struct {
		SessionID string `json:"session_id"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return v.SessionID
}

func TestIndexAndPathForms(t *testing.T) {
	logs := &syncbuf.Buffer{}
	srv := start(t, roundtabletest.Options{APIKey: key, Logger: zerolog.New(logs)})
	want := []string{"no-id", "sess-broken", "sess-full", "sess-future", "sess-old"}
	if got := srv.SessionIDs(); !slices.Equal(got, want) {
		t.Errorf("SessionIDs = %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "no readable session_id") {
		t.Errorf("no warning for files without a session_id:\n%s", logs)
	}
	tests := []struct {
		name, path string
		status     int
		session    string
	}{
		{"path form", "/v1/sessions/sess-full/report", 200, "sess-full"},
		{"query form", "/v1/sessions/report?sessionId=sess-old", 200, "sess-old"},
		{"unknown session", "/v1/sessions/nobody/report", 404, ""},
		{"query form, no id", "/v1/sessions/report", 404, ""},
		{"other endpoint", "/v1/users/x/sessions", 404, ""},
		{"escaped slash", "/v1/sessions/sess%2Ffull/report", 404, ""},
		{"dot segments", "/v1/sessions/../../v1/users/x/sessions", 404, ""},
		{"extra segment", "/v1/sessions/a/b/report", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body, err := get(t, srv.URL()+tt.path, key)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status {
				t.Fatalf("status %d, want %d (body %s)", status, tt.status, body)
			}
			if tt.session != "" && sessionOf(t, body) != tt.session {
				t.Errorf("served %s, want %s", body, tt.session)
			}
		})
	}
	reqs := srv.Requests()
	if len(reqs) != len(tests) {
		t.Fatalf("logged %d requests, want %d", len(reqs), len(tests))
	}
	if reqs[5].Path != "/v1/sessions/sess%2Ffull/report" || reqs[6].Path != "/v1/sessions/../../v1/users/x/sessions" {
		t.Errorf("logged path %q, want it as sent", reqs[5].Path)
	}
	if reqs[1].SessionID != "sess-old" || reqs[1].RawQuery != "sessionId=sess-old" || reqs[1].Status != 200 {
		t.Errorf("query form logged as %+v", reqs[1])
	}
	if n := srv.RequestCount("sess-full"); n != 1 {
		t.Errorf("RequestCount(sess-full) = %d, want 1", n)
	}
	srv.ResetRequests()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("after ResetRequests: %d requests", n)
	}
}

func TestBearerCheck(t *testing.T) {
	tests := []struct {
		name, serverKey, clientKey string
		want                       int
	}{
		{"right key", key, key, 200},
		{"wrong key", key, "sk-other", 401},
		{"no key", key, "", 401},
		{"server accepts any", "", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, roundtabletest.Options{APIKey: tt.serverKey})
			status, _, body, err := get(t, srv.URL()+"/v1/sessions/sess-full/report", tt.clientKey)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.want {
				t.Errorf("status %d, want %d", status, tt.want)
			}
			if strings.Contains(body, key) {
				t.Errorf("the server echoed the key: %s", body)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	const url = "/v1/sessions/sess-full/report"
	tests := []struct {
		name       string
		fault      roundtabletest.Fault
		wantStatus int
		wantRetry  string
		wantErr    bool // the client sees a broken connection or body
		check      func(t *testing.T, body string)
	}{
		{name: "status 503 with Retry-After", fault: roundtabletest.Fault{Status: 503, RetryAfter: "2"}, wantStatus: 503, wantRetry: "2"},
		{name: "status 429 with a body", fault: roundtabletest.Fault{Status: 429, Body: `{"slow":"down"}`}, wantStatus: 429,
			check: func(t *testing.T, body string) {
				if body != `{"slow":"down"}` {
					t.Errorf("body %q", body)
				}
			}},
		{name: "status 401", fault: roundtabletest.Fault{Status: 401}, wantStatus: 401},
		{name: "malformed", fault: roundtabletest.Fault{Malformed: true}, wantStatus: 200, check: func(t *testing.T, body string) {
			if json.Valid([]byte(body)) {
				t.Errorf("malformed body is valid JSON: %s", body)
			}
		}},
		{name: "truncated", fault: roundtabletest.Fault{Truncated: true}, wantErr: true},
		{name: "oversized", fault: roundtabletest.Fault{OversizedBytes: 1 << 20}, wantStatus: 200, check: func(t *testing.T, body string) {
			if len(body) < 1<<20 || !json.Valid([]byte(body)) {
				t.Errorf("oversized body: %d bytes, valid JSON %v", len(body), json.Valid([]byte(body)))
			}
		}},
		{name: "drip", fault: roundtabletest.Fault{DripInterval: time.Microsecond}, wantStatus: 200, check: func(t *testing.T, body string) {
			if sessionOfBody(body) != "sess-full" {
				t.Errorf("dripped body %q", body)
			}
		}},
		{name: "reset", fault: roundtabletest.Fault{Reset: true}, wantErr: true},
		{name: "latency only", fault: roundtabletest.Fault{Latency: 10 * time.Millisecond}, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, roundtabletest.Options{})
			srv.SetFault("sess-full", tt.fault)
			status, retry, body, err := get(t, srv.URL()+url, "")
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got status %d body %q, want a broken response", status, body)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if status != tt.wantStatus || retry != tt.wantRetry {
					t.Errorf("status %d Retry-After %q, want %d %q", status, retry, tt.wantStatus, tt.wantRetry)
				}
				if tt.check != nil {
					tt.check(t, body)
				}
			}
			// Other sessions are untouched.
			if status, _, _, err := get(t, srv.URL()+"/v1/sessions/sess-old/report", ""); err != nil || status != 200 {
				t.Errorf("sess-old: %d %v", status, err)
			}
		})
	}
}

func sessionOfBody(body string) string {
	var v struct {
		SessionID string `json:"session_id"`
	}
	_ = json.Unmarshal([]byte(body), &v)
	return v.SessionID
}

func TestFaultScope(t *testing.T) {
	srv := start(t, roundtabletest.Options{})
	statusOf := func(id string) int {
		s, _, _, err := get(t, srv.URL()+"/v1/sessions/"+id+"/report", "")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	srv.SetFault(roundtabletest.AllSessions, roundtabletest.Fault{Status: 500})
	srv.SetFault("sess-old", roundtabletest.Fault{Status: 429, Times: 2})
	got := []int{statusOf("sess-full"), statusOf("sess-old"), statusOf("sess-old"), statusOf("sess-old")}
	if want := []int{500, 429, 429, 500}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v (session fault first, Times counts down, then the global one)", got, want)
	}
	srv.ClearFault(roundtabletest.AllSessions)
	if s := statusOf("sess-full"); s != 200 {
		t.Errorf("after ClearFault: %d", s)
	}
	srv.SetFault("sess-full", roundtabletest.Fault{Status: 502})
	srv.ClearFaults()
	if s := statusOf("sess-full"); s != 200 {
		t.Errorf("after ClearFaults: %d", s)
	}
}

func TestChangeReportWhileRunning(t *testing.T) {
	srv := start(t, roundtabletest.Options{})
	srv.SetReport("live-1", []byte(`{"session_id":"live-1","risk_score":20}`))
	_, _, body, _ := get(t, srv.URL()+"/v1/sessions/live-1/report", "")
	srv.SetReport("live-1", []byte(`{"session_id":"live-1","risk_score":80}`))
	_, _, body2, _ := get(t, srv.URL()+"/v1/sessions/live-1/report", "")
	if !strings.Contains(body, `"risk_score":20`) || !strings.Contains(body2, `"risk_score":80`) {
		t.Errorf("bodies %s then %s, want the score to move from 20 to 80", body, body2)
	}
	srv.DeleteReport("live-1")
	if s, _, _, _ := get(t, srv.URL()+"/v1/sessions/live-1/report", ""); s != 404 {
		t.Errorf("after DeleteReport: %d, want 404", s)
	}
}

func TestLatencyOption(t *testing.T) {
	srv := start(t, roundtabletest.Options{Latency: 30 * time.Millisecond})
	begin := time.Now()
	if s, _, _, err := get(t, srv.URL()+"/v1/sessions/sess-full/report", ""); err != nil || s != 200 {
		t.Fatalf("%d %v", s, err)
	}
	if d := time.Since(begin); d < 30*time.Millisecond {
		t.Errorf("answered in %s, before the 30ms latency", d)
	}
}

// TestCloseEndsHeldRequests: Close does not wait for a long injected latency.
func TestCloseEndsHeldRequests(t *testing.T) {
	srv, err := roundtabletest.Start(roundtabletest.Options{ReportsDir: "../../report/testdata/reports"})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFault(roundtabletest.AllSessions, roundtabletest.Fault{Latency: time.Hour})
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/sessions/sess-full/report HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, "the held request to arrive", func() bool { return srv.RequestTotal() > 0 })
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close is stuck behind a held request")
	}
	if _, err := bufio.NewReader(conn).ReadString('\n'); err == nil {
		t.Error("the held request got an answer after Close")
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		opts roundtabletest.Options
	}{
		{"missing folder", roundtabletest.Options{ReportsDir: "no/such/folder"}},
		{"bad address", roundtabletest.Options{Addr: "127.0.0.1:notaport"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := roundtabletest.Start(tt.opts)
			if err == nil {
				_ = srv.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.HasPrefix(err.Error(), "roundtabletest: ") {
				t.Errorf("error %q lacks context", err)
			}
		})
	}
}

// TestRequestLogBounded: the server keeps only the most recent requests, so a
// long demo or soak over millions of sessions does not grow its memory; the
// total still counts every request.
func TestRequestLogBounded(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		sent     int
		wantKept []string // session ids kept, oldest first
	}{
		{"under the size", 4, 3, []string{"s0", "s1", "s2"}},
		{"exactly the size", 3, 3, []string{"s0", "s1", "s2"}},
		{"wrapped", 3, 7, []string{"s4", "s5", "s6"}},
		{"wrapped twice and more", 2, 9, []string{"s7", "s8"}},
		{"none kept", -1, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, roundtabletest.Options{RequestLog: tt.size})
			for i := range tt.sent {
				if status, _, _, err := get(t, fmt.Sprintf("%s/v1/sessions/s%d/report", srv.URL(), i), ""); err != nil || status != 404 {
					t.Fatalf("request %d: status %d, %v", i, status, err)
				}
			}
			var kept []string
			for _, r := range srv.Requests() {
				kept = append(kept, r.SessionID)
				if r.Status != 404 {
					t.Errorf("%s logged with status %d, want 404", r.SessionID, r.Status)
				}
			}
			if !slices.Equal(kept, tt.wantKept) {
				t.Errorf("kept %v, want %v", kept, tt.wantKept)
			}
			if got := srv.RequestTotal(); got != int64(tt.sent) {
				t.Errorf("RequestTotal = %d, want %d", got, tt.sent)
			}
			last := fmt.Sprintf("s%d", tt.sent-1)
			if want := min(1, len(tt.wantKept)); srv.RequestCount(last) != want {
				t.Errorf("RequestCount(%s) = %d, want %d", last, srv.RequestCount(last), want)
			}
			if srv.RequestCount("s0") != 0 && tt.sent > tt.size && tt.size > 0 {
				t.Error("RequestCount still sees a request the ring dropped")
			}
			srv.ResetRequests()
			if len(srv.Requests()) != 0 || srv.RequestTotal() != 0 {
				t.Errorf("after ResetRequests: %d kept, total %d", len(srv.Requests()), srv.RequestTotal())
			}
		})
	}
}

// TestRequestLogDefaultSize: with no size set, the log holds
// DefaultRequestLog entries and no more.
func TestRequestLogDefaultSize(t *testing.T) {
	srv := start(t, roundtabletest.Options{})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	n := roundtabletest.DefaultRequestLog + 10
	for i := range n {
		resp, err := client.Get(fmt.Sprintf("%s/v1/sessions/d%d/report", srv.URL(), i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	reqs := srv.Requests()
	if len(reqs) != roundtabletest.DefaultRequestLog {
		t.Fatalf("kept %d requests, want %d", len(reqs), roundtabletest.DefaultRequestLog)
	}
	if reqs[0].SessionID != "d10" || reqs[len(reqs)-1].SessionID != fmt.Sprintf("d%d", n-1) {
		t.Errorf("kept %s..%s, want d10..d%d", reqs[0].SessionID, reqs[len(reqs)-1].SessionID, n-1)
	}
	if srv.RequestTotal() != int64(n) {
		t.Errorf("RequestTotal = %d, want %d", srv.RequestTotal(), n)
	}
}

// waitFor polls cond until it holds (internal/testwait: a generous
// deadline, never a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, cond)
}
