package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/api"
	"github.com/verdicthq/verdict/audit"
	verdictdecision "github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/internal/lists"
	"github.com/verdicthq/verdict/internal/reload"
	"github.com/verdicthq/verdict/internal/syncbuf"
)

// Test keys, one per scope mix. Secrets are long enough for config.Validate.
const (
	keyAll      = "all-secret-0123456789"      // every scope
	keyCheckout = "checkout-secret-0123456789" // decide
	keyRisk     = "risk-secret-0123456789"     // evaluate
	keyOps      = "ops-secret-0123456789"      // admin
	keyAuditor  = "audit-secret-0123456789"    // audit
	keyAnalyst  = "analyst-secret-0123456789"  // audit and review
	simKey      = "sk-test-roundtable-key-0042"
)

var testKeys = "all:decide+evaluate+audit+admin:" + keyAll + ",checkout:decide:" + keyCheckout +
	",risk:evaluate:" + keyRisk + ",ops:admin:" + keyOps + ",auditor:audit:" + keyAuditor + ",analyst:audit+review:" + keyAnalyst

// harnessOpts says what a test server runs with.
type harnessOpts struct {
	rules      string               // rules folder to load; "" leaves the set empty
	reports    string               // reports folder for the simulator; "" points the fetcher at a closed port
	recorder   api.DecisionRecorder // the decision log seam
	log        audit.Store          // a real decision log (Options.Log)
	monitor    bool                 // Options.MonitorOnly
	readiness  []api.ReadinessCheck
	cacheTTL   time.Duration
	timeout    time.Duration          // Roundtable fetch budget
	reqTimeout time.Duration          // the API's request timeout (default 5s)
	quiet      bool                   // logs to io.Discard (benchmarks)
	bodyLimit  int64                  // the API's body limit (default 8 KiB)
	limits     engine.Limits          // Options.PolicyLimits (zero: the engine's defaults)
	clock      func() time.Time       // Options.Clock; nil is time.Now
	lists      *lists.Service         // the list service (Options.Lists)
	memory     verdictdecision.Memory // lists and counters decisions read (Options.Memory)
}

// harness is a real verdict API on a loopback listener, in front of the real
// Roundtable simulator.
type harness struct {
	t        testing.TB
	url      string
	server   *api.Server
	live     *engine.Live
	reloader *reload.Reloader
	sim      *roundtabletest.Server
	logs     *syncbuf.Buffer
	client   *http.Client
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, live: &engine.Live{}, logs: &syncbuf.Buffer{}, client: &http.Client{Timeout: 10 * time.Second}}
	var sink io.Writer = h.logs
	if o.quiet {
		sink = io.Discard
	}
	log := zerolog.New(sink)
	metrics := api.NewMetrics()

	base := "http://127.0.0.1:1" // nothing listens there
	if o.reports != "" {
		sim, err := roundtabletest.Start(roundtabletest.Options{ReportsDir: o.reports, APIKey: simKey})
		if err != nil {
			t.Fatalf("start simulator: %v", err)
		}
		t.Cleanup(func() { _ = sim.Close() })
		h.sim, base = sim, sim.URL()
	}
	if o.timeout == 0 {
		o.timeout = time.Second
	}
	if o.cacheTTL == 0 {
		o.cacheTTL = -1 // tests see every upstream change unless they ask for a cache
	}
	client, err := fetcher.New(fetcher.Config{BaseURL: base, APIKey: simKey, Timeout: o.timeout, CacheTTL: o.cacheTTL, Observer: metrics})
	if err != nil {
		t.Fatalf("fetcher.New: %v", err)
	}
	t.Cleanup(client.Close)

	keys, err := config.ParseAPIKeys(testKeys)
	if err != nil {
		t.Fatalf("keys: %v", err)
	}
	if o.rules != "" {
		h.reloader = reload.New(reload.Options{Dir: o.rules, Live: h.live, Logger: log,
			OnReload: func(ev reload.Event) { metrics.ObserveReload(ev.Trigger, ev.Set, ev.Err) }})
		if _, err := h.reloader.Reload(context.Background(), reload.TriggerStart); err != nil {
			t.Fatalf("load %s: %v", o.rules, err)
		}
	}
	if o.bodyLimit == 0 {
		o.bodyLimit = 8 << 10
	}
	if o.reqTimeout == 0 {
		o.reqTimeout = 5 * time.Second
	}
	opts := api.Options{
		Live: h.live, Fetcher: client, Keys: keys, Logger: log, Metrics: metrics,
		Recorder: o.recorder, Readiness: o.readiness, Log: o.log, MonitorOnly: o.monitor, Lists: o.lists, Memory: o.memory, BodyLimit: o.bodyLimit, RequestTimeout: o.reqTimeout,
		Clock: o.clock, PolicyLimits: o.limits,
	}
	if h.reloader != nil { // a nil *reload.Reloader would be a non-nil interface
		opts.Reloader = h.reloader
	}
	h.server, err = api.New(opts)
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	ts := httptest.NewUnstartedServer(h.server.Handler())
	ts.Listener = api.JSONErrors(ts.Listener) // as cmd/verdict serves it
	ts.Start()
	t.Cleanup(ts.Close)
	h.url = ts.URL
	return h
}

// result is one HTTP answer.
type result struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic map.
func (r *result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// errorCode returns error.code of an error answer.
func (r *result) errorCode(t *testing.T) string {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.body)
	}
	code, _ := e["code"].(string)
	return code
}

// req describes one call.
type req struct {
	method, path string
	key          string // bearer secret; "" sends no Authorization
	ctype        string // Content-Type; "" sends none
	body         string
	header       map[string]string
}

// do sends the request and checks the answer against the OpenAPI document.
func (h *harness) do(r req) *result {
	h.t.Helper()
	res, httpReq := h.send(r)
	checkContract(h.t, httpReq, res)
	return res
}

// decide posts a decision request as the checkout key.
func (h *harness) decide(body string) *result {
	h.t.Helper()
	return h.do(req{method: "POST", path: "/v1/decisions", key: keyCheckout, ctype: "application/json", body: body})
}

func (h *harness) send(r req) (*result, *http.Request) {
	h.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	httpReq, err := http.NewRequest(r.method, h.url+r.path, body)
	if err != nil {
		h.t.Fatalf("request: %v", err)
	}
	if r.key != "" {
		httpReq.Header.Set("Authorization", "Bearer "+r.key)
	}
	if r.ctype != "" {
		httpReq.Header.Set("Content-Type", r.ctype)
	}
	for k, v := range r.header {
		httpReq.Header.Set(k, v)
	}
	resp, err := h.client.Do(httpReq)
	if err != nil {
		h.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read body: %v", err)
	}
	httpReq.Body = io.NopCloser(strings.NewReader(r.body))
	return &result{status: resp.StatusCode, header: resp.Header, body: b}, httpReq
}

var (
	contractOnce   sync.Once
	contractDoc    *openapi3.T
	contractRouter routers.Router
	contractErr    error
)

func loadContract() (*openapi3.T, routers.Router, error) {
	contractOnce.Do(func() {
		loader := openapi3.NewLoader()
		contractDoc, contractErr = loader.LoadFromData(api.OpenAPI)
		if contractErr != nil {
			return
		}
		if contractErr = contractDoc.Validate(context.Background()); contractErr != nil {
			return
		}
		contractDoc.Servers = nil // match any host: test servers listen on random ports
		contractRouter, contractErr = gorillamux.NewRouter(contractDoc)
	})
	return contractDoc, contractRouter, contractErr
}

// checkContract checks an answer against api/openapi.json: the route's
// documented status, headers and body schema; answers for unknown routes and
// methods against the ErrorBody schema. Every answer carries X-Request-Id, and
// every 4xx/5xx is a JSON error.
func checkContract(t testing.TB, httpReq *http.Request, res *result) {
	t.Helper()
	doc, router, err := loadContract()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if res.header.Get("X-Request-Id") == "" {
		t.Errorf("%s %s: no X-Request-Id", httpReq.Method, httpReq.URL.Path)
	}
	if res.status >= 400 && httpReq.Method != http.MethodHead {
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: error answer with Content-Type %q", httpReq.Method, httpReq.URL.Path, ct)
		}
	}
	if httpReq.Method == http.MethodHead { // validated as the GET it mirrors, without a body
		if len(res.body) != 0 {
			t.Errorf("HEAD %s answered a body: %s", httpReq.URL.Path, res.body)
		}
		get := httpReq.Clone(httpReq.Context())
		get.Method = http.MethodGet
		if route, _, err := router.FindRoute(get); err == nil && route.Operation.Responses.Status(res.status) == nil {
			t.Errorf("HEAD %s -> %d: a status GET does not document", httpReq.URL.Path, res.status)
		}
		return
	}
	route, params, err := router.FindRoute(httpReq)
	if err != nil {
		if !errors.Is(err, routers.ErrPathNotFound) && !errors.Is(err, routers.ErrMethodNotAllowed) {
			t.Fatalf("find route: %v", err)
		}
		var v any
		if err := json.Unmarshal(res.body, &v); err != nil {
			t.Fatalf("%s %s: undocumented route answered non-JSON: %s", httpReq.Method, httpReq.URL.Path, res.body)
		}
		if err := doc.Components.Schemas["ErrorBody"].Value.VisitJSON(v); err != nil {
			t.Errorf("%s %s: answer is not an ErrorBody: %v\n%s", httpReq.Method, httpReq.URL.Path, err, res.body)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: httpReq, PathParams: params, Route: route},
		Status:                 res.status,
		Header:                 res.header,
		Body:                   io.NopCloser(bytes.NewReader(res.body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s -> %d does not match openapi.json: %v\n%s", httpReq.Method, httpReq.URL.Path, res.status, err, res.body)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
