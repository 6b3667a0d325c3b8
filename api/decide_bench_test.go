package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// BenchmarkDecide measures POST /v1/decisions through the whole handler
// chain (request id, access log to io.Discard, metrics, auth, strict
// decoding, the cached report, policy selection and evaluation, the answer),
// in process without a network, beside BenchmarkBareEcho: an Echo handler
// that returns a body of the same size. Load figures over real HTTP are in
// bench/ (docs/bench-api.md).
//
//	go test -run '^$' -bench 'Decide|BareEcho' -benchmem ./api/
func BenchmarkDecide(b *testing.B) {
	h := newHarness(b, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", cacheTTL: time.Hour, quiet: true})
	handler := h.server.Handler()
	first := serveOnce(handler, decideBody)
	if first.Code != 200 {
		b.Fatalf("status %d: %s", first.Code, first.Body)
	}
	b.SetBytes(int64(first.Body.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rec := serveOnce(handler, decideBody); rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkBareEcho is the floor for BenchmarkDecide.
func BenchmarkBareEcho(b *testing.B) {
	out := []byte(`{"pad":"` + strings.Repeat("x", 560) + `"}`)
	e := echo.New()
	e.POST("/v1/decisions", func(c echo.Context) error { return c.JSONBlob(http.StatusOK, out) })
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rec := serveOnce(e, decideBody); rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

const decideBody = `{"session_id":"t-review","context":{"amount":120}}`

func serveOnce(h http.Handler, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/decisions", bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+keyCheckout)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// BenchmarkDecideLogged is BenchmarkDecide with the decision log on (an
// SQLite file in a temporary folder): each answer waits for its trace's
// commit. Run in parallel, as a server does, so appends commit in groups.
//
//	go test -run '^$' -bench 'DecideParallel|DecideLogged' -benchmem ./api/
//
// Two sessions: t-review, whose every decision also opens a review and
// queues a webhook event in the same commit (the write path's worst case),
// and t-allow, the common decision, which writes its trace only.
func BenchmarkDecideLogged(b *testing.B) {
	for _, session := range []string{"t-review", "t-allow"} {
		b.Run(session, func(b *testing.B) { benchDecideParallel(b, true, decideBodyOf(session)) })
	}
}

// BenchmarkDecideParallel is BenchmarkDecideLogged without the log.
func BenchmarkDecideParallel(b *testing.B) {
	benchDecideParallel(b, false, decideBody)
}

// decideBodyOf is decideBody for another session.
func decideBodyOf(session string) string {
	return `{"session_id":"` + session + `","context":{"amount":120}}`
}

func benchDecideParallel(b *testing.B, logged bool, body string) {
	o := harnessOpts{rules: "testdata/rules", reports: "testdata/reports", cacheTTL: time.Hour, quiet: true}
	if logged {
		s, err := audit.Open(context.Background(), filepath.Join(b.TempDir(), "verdict.db"), audit.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		o.log = s
	}
	handler := newHarness(b, o).server.Handler()
	if rec := serveOnce(handler, body); rec.Code != 200 {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.SetParallelism(16) // 16 goroutines per core: callers waiting on commits
	b.ResetTimer()
	cpu0 := audittest.CPUTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := serveOnce(handler, body); rec.Code != 200 {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
	b.StopTimer()
	// CPU per decision (the whole process, user+system): what a loaded,
	// shared machine does not inflate, unlike ns/op.
	b.ReportMetric(float64((audittest.CPUTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	if st, ok := o.log.(interface{ BatchStats() (int64, int64) }); ok {
		if commits, traces := st.BatchStats(); commits > 0 {
			b.ReportMetric(float64(traces)/float64(commits), "traces/commit")
		}
	}
}
