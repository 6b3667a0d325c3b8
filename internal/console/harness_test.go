package console_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/api"
	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/internal/lists"
	"github.com/verdicthq/verdict/internal/memory"
	"github.com/verdicthq/verdict/internal/reload"
)

// Test keys: secrets long enough for config.Validate.
const (
	keyAdmin   = "admin-secret-0123456789"   // decide + audit + admin + review
	keyAuditor = "auditor-secret-0123456789" // audit only
	keyDecide  = "decide-secret-0123456789"  // decide only: no console scope
	keyAnalyst = "analyst-secret-0123456789" // audit + review
	keyOther   = "other-secret-0123456789"   // review only: another analyst
	simKey     = "sk-test-roundtable-key-0042"
)

var testKeys = "admin:decide+audit+admin+review:" + keyAdmin + ",auditor:audit:" + keyAuditor + ",checkout:decide:" + keyDecide +
	",analyst:audit+review:" + keyAnalyst + ",other:review:" + keyOther

// harness is the real verdict server (api.New, as `verdict serve` builds it)
// over a real SQLite decision log, the shipped test policies and the real
// Roundtable simulator, on a loopback listener.
type harness struct {
	t        testing.TB
	url      string
	sim      *roundtabletest.Server
	store    audit.Store
	live     *engine.Live
	reloader *reload.Reloader
}

func newHarness(t testing.TB) *harness { return newHarnessRules(t, "testdata/rules") }

// newHarnessRules is newHarness over another rules folder.
func newHarnessRules(t testing.TB, rules string) *harness {
	t.Helper()
	return newHarnessOn(t, rules, filepath.Join(t.TempDir(), "verdict.db"))
}

// newHarnessOn is newHarness over a rules folder and a decision log URL.
func newHarnessOn(t testing.TB, rules, dbURL string) *harness {
	t.Helper()
	sim, err := roundtabletest.Start(roundtabletest.Options{ReportsDir: "testdata/reports", APIKey: simKey})
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	client, err := fetcher.New(fetcher.Config{BaseURL: sim.URL(), APIKey: simKey, Timeout: 2 * time.Second, CacheTTL: -1})
	if err != nil {
		t.Fatalf("fetcher: %v", err)
	}
	t.Cleanup(client.Close)
	store, err := audit.Open(context.Background(), dbURL, audit.Options{})
	if err != nil {
		t.Fatalf("open log: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	live := &engine.Live{}
	rl := reload.New(reload.Options{Dir: rules, Live: live, Logger: zerolog.Nop()})
	if _, err := rl.Reload(context.Background(), reload.TriggerStart); err != nil {
		t.Fatalf("load rules: %v", err)
	}
	keys, err := config.ParseAPIKeys(testKeys)
	if err != nil {
		t.Fatalf("keys: %v", err)
	}
	ls := store.(audit.ListStore)
	mem := &memory.Memory{Lists: lists.NewMemory()}
	if err := mem.Lists.Load(context.Background(), ls); err != nil {
		t.Fatalf("load lists: %v", err)
	}
	svc := &lists.Service{Store: ls, Memory: mem.Lists, Declared: func() map[string]lists.Decl { return lists.DeclsOf(live.Load()) }}
	srv, err := api.New(api.Options{Live: live, Fetcher: client, Keys: keys, Logger: zerolog.Nop(), Log: store, Reloader: rl,
		Lists: svc, Memory: mem})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &harness{t: t, url: hs.URL, sim: sim, store: store, live: live, reloader: rl}
}

// decide makes a real decision through POST /v1/decisions and returns its id.
func (h *harness) decide(sessionID, context string) string {
	h.t.Helper()
	body := `{"session_id":"` + sessionID + `"`
	if context != "" {
		body += `,"context":` + context
	}
	body += "}"
	req, _ := http.NewRequest(http.MethodPost, h.url+"/v1/decisions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+keyAdmin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("decide %s: %v", sessionID, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("decide %s: %d %s", sessionID, resp.StatusCode, b)
	}
	m := regexp.MustCompile(`"decision_id":"([^"]+)"`).FindSubmatch(b)
	if m == nil {
		h.t.Fatalf("decide %s: no decision_id in %s", sessionID, b)
	}
	return string(m[1])
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t      testing.TB
	h      *harness
	client *http.Client
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: h.t, h: h, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is one answer: status, headers, body.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) page {
	b.t.Helper()
	resp, err := b.client.Get(b.h.url + path)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	return readPage(b.t, resp)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	resp, err := b.client.Post(b.h.url+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	return readPage(b.t, resp)
}

func readPage(t testing.TB, resp *http.Response) page {
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, resp.Body); err != nil {
		t.Fatalf("read body: %v", err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: buf.String()}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the first form on p.
func (p page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", p.body)
	}
	return m[1]
}

// signIn signs in with key and returns the page it lands on.
func (b *browser) signIn(key string) page {
	b.t.Helper()
	form := b.get("/console/login")
	p := b.post("/console/login", url.Values{"csrf": {form.csrf(b.t)}, "key": {key}, "next": {"/console/"}})
	return p
}

// mustSignIn signs in and fails the test unless it worked.
func (b *browser) mustSignIn(key string) {
	b.t.Helper()
	if p := b.signIn(key); p.status != http.StatusSeeOther {
		b.t.Fatalf("sign in: %d\n%s", p.status, p.body)
	}
}
