package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/api"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/report"
)

// The page benchmarks read a decision log of VERDICT_BENCH_TRACES traces
// (default 1,000,000), built once with the store's own Append and kept at
// VERDICT_BENCH_DB (default in the temporary folder) for later runs:
//
//	go test ./console -run '^$' -bench Page -benchmem -benchtime 2000x
//
// Each op opens one page through the whole server (api.New's handler: the
// request frame, the session, the store, the template), in process.

func benchTraces() int {
	if n, err := strconv.Atoi(os.Getenv("VERDICT_BENCH_TRACES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var benchOnce struct {
	sync.Mutex
	path string
}

// benchLog returns the path of the benchmark log, building it if it lacks traces.
func benchLog(b *testing.B, set *engine.Set) string {
	benchOnce.Lock()
	defer benchOnce.Unlock()
	if benchOnce.path != "" {
		return benchOnce.path
	}
	n := benchTraces()
	path := os.Getenv("VERDICT_BENCH_DB")
	if path == "" {
		path = filepath.Join(os.TempDir(), fmt.Sprintf("verdict-console-bench-%d.db", n))
	}
	if s, err := audit.Open(context.Background(), path, audit.Options{}); err == nil {
		have := int64(-1)
		if rs, ok := s.(audit.RowSource); ok {
			have, _ = rs.Count(context.Background(), time.Time{}, time.Time{})
		}
		_ = s.Close()
		if have == int64(n) {
			benchOnce.path = path
			return path
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
	start := time.Now()
	s, err := audit.Open(context.Background(), path, audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	gen := traceMaker(b, set, n)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 64 {
				if err := s.Append(context.Background(), gen(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatalf("build the benchmark log: %v", err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s: %d traces in %v", path, n, time.Since(start).Round(time.Second))
	benchOnce.path = path
	return path
}

// traceMaker makes trace i of n: the fixtures' reports decided for real by
// the test policies (so fired rules carry the values they read), spread over
// 30 days, 50,000 users.
func traceMaker(b *testing.B, set *engine.Set, n int) func(i int) *audit.Trace {
	var reps []*report.Report
	for _, f := range []string{"t-allow", "t-deny", "t-review", "t-vpn"} {
		raw, err := os.ReadFile("testdata/reports/" + f + ".json")
		if err != nil {
			b.Fatal(err)
		}
		r, err := report.Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		reps = append(reps, r)
	}
	p := &decision.Pipeline{Policies: decision.Static(set)}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	step := 30 * 24 * time.Hour / time.Duration(n)
	ctxJSON := []byte(`{"amount": 640, "currency": "EUR", "country": "DE"}`)
	return func(i int) *audit.Trace {
		r := reps[i%len(reps)]
		at := base.Add(time.Duration(i) * step)
		res, err := p.Decide(context.Background(), decision.Request{SessionID: fmt.Sprintf("s-%07d", i), Report: r,
			Context: map[string]any{"amount": 640.0, "currency": "EUR", "country": "DE"}, Now: at})
		if err != nil {
			panic(err)
		}
		t := res.Trace()
		t.DecidedAt = at
		t.SessionID = fmt.Sprintf("s-%07d", i)
		t.UserID = fmt.Sprintf("u-%05d", i%50000)
		t.Context = ctxJSON
		t.KeyID = "checkout"
		return t
	}
}

// benchServer is the real server over the benchmark log, with a signed-in
// console session.
type benchServer struct {
	h      http.Handler
	cookie *http.Cookie
	store  audit.Store
	ids    []string // decision ids spread over the log
}

func newBenchServer(b *testing.B) *benchServer {
	set, err := engine.LoadDir("testdata/rules")
	if err != nil {
		b.Fatal(err)
	}
	path := benchLog(b, set)
	store, err := audit.Open(context.Background(), path, audit.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	live := &engine.Live{}
	live.Store(set)
	keys, _ := config.ParseAPIKeys(testKeys)
	srv, err := api.New(api.Options{Live: live, Keys: keys, Logger: zerolog.Nop(), Log: store,
		Fetcher: decision.FetcherFunc(func(context.Context, string) (*report.Report, error) { return nil, report.ErrNotFound })})
	if err != nil {
		b.Fatal(err)
	}
	bs := &benchServer{h: srv.Handler(), store: store}
	// Sign in through the forms.
	rec := httptest.NewRecorder()
	bs.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/console/login", nil))
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())[1]
	req := httptest.NewRequest(http.MethodPost, "/console/login", strings.NewReader(url.Values{"csrf": {tok}, "key": {keyAuditor}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(rec.Result().Cookies()[0])
	rec = httptest.NewRecorder()
	bs.h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "verdict_console" {
			bs.cookie = c
		}
	}
	if bs.cookie == nil {
		b.Fatalf("sign in: %d", rec.Code)
	}
	// 1,000 ids spread over the 30 days, found through the API's own index.
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for k := range 1000 {
		until := base.Add(time.Duration(k+1) * 30 * 24 * time.Hour / 1000)
		page, err := store.Query(context.Background(), audit.Filter{Until: until, Limit: 1})
		if err != nil || len(page.Traces) == 0 {
			b.Fatalf("find ids: %v", err)
		}
		bs.ids = append(bs.ids, page.Traces[0].ID)
	}
	return bs
}

// get serves one GET and checks its status.
func (bs *benchServer) get(b *testing.B, path string, auth bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if auth {
		req.Header.Set("Authorization", "Bearer "+keyAuditor)
	} else {
		req.AddCookie(bs.cookie)
	}
	rec := httptest.NewRecorder()
	bs.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %.300s", path, rec.Code, rec.Body.String())
	}
	return rec
}

// timed runs op b.N times and reports its p50 and p99 beside ns/op.
func timed(b *testing.B, op func(i int)) {
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		op(i)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkDecisionPage opens /console/decisions/{id} for ids spread over
// the whole log, beside the API's GET /v1/decisions/{id} (the same trace as
// JSON) and the store's Get alone, measured in the same run.
func BenchmarkDecisionPage(b *testing.B) {
	bs := newBenchServer(b)
	b.Run("console", func(b *testing.B) {
		timed(b, func(i int) {
			rec := bs.get(b, "/console/decisions/"+bs.ids[i%len(bs.ids)], false)
			if !strings.Contains(rec.Body.String(), "Rules fired") {
				b.Fatal("not a decision page")
			}
		})
	})
	b.Run("api-json", func(b *testing.B) {
		timed(b, func(i int) { bs.get(b, "/v1/decisions/"+bs.ids[i%len(bs.ids)], true) })
	})
	b.Run("store-get", func(b *testing.B) {
		timed(b, func(i int) {
			if _, err := bs.store.Get(context.Background(), bs.ids[i%len(bs.ids)]); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkDecisionsPage opens the search page: the newest 50, 50 from a
// cursor near the oldest end (keyset: no slower than the first), and one
// user's decisions — beside the API's GET /v1/decisions for the same.
func BenchmarkDecisionsPage(b *testing.B) {
	bs := newBenchServer(b)
	old, err := bs.store.Query(context.Background(), audit.Filter{Until: time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC), Limit: 1})
	if err != nil || old.NextCursor == "" {
		b.Fatalf("a cursor near the oldest end: %v", err)
	}
	for _, q := range []struct{ name, query string }{
		{"newest", ""},
		{"deep-cursor", "?cursor=" + old.NextCursor},
		{"by-user", "?user_id=u-01234"},
		{"by-outcome", "?outcome=deny"},
	} {
		b.Run("console/"+q.name, func(b *testing.B) {
			timed(b, func(int) { bs.get(b, "/console/decisions"+q.query, false) })
		})
		b.Run("api-json/"+q.name, func(b *testing.B) {
			timed(b, func(int) {
				rec := bs.get(b, "/v1/decisions"+q.query, true)
				var page struct{ Traces []json.RawMessage }
				if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Traces) == 0 {
					b.Fatalf("api page: %v, %d traces", err, len(page.Traces))
				}
			})
		})
	}
}
