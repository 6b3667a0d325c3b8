package fetcher_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/verdicthq/verdict/fetcher"
)

// The three benchmarks below measure, against the same local simulator and
// the same report (testdata/reports/full.json):
//
//   - BenchmarkFetchMiss: a fetch through the client with the cache off, so
//     every iteration is a full upstream fetch (coalescing, breaker, budget,
//     size limit, report validation);
//   - BenchmarkPlainGET: its floor, a plain net/http GET with the same
//     header and a json.Unmarshal of the body into fetcher.Report;
//   - BenchmarkFetchHit: a cache hit, which must make no upstream call.
//
// go test -run '^$' -bench . -benchmem -benchtime 2s -count 5 ./fetcher/

const benchSession = "sess-full"

func BenchmarkFetchMiss(b *testing.B) {
	h := newHarness(b, func(c *fetcher.Config) { c.CacheTTL = -1; c.Observer = nil })
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.client.Fetch(ctx, benchSession); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlainGET(b *testing.B) {
	srv := startSim(b)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := srv.URL() + "/v1/sessions/" + benchSession + "/report"
	ctx := context.Background()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatal(resp.StatusCode, err)
		}
		var rep fetcher.Report
		if err := json.Unmarshal(body, &rep); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFetchHit(b *testing.B) {
	h := newHarness(b, func(c *fetcher.Config) { c.CacheTTL = 1 << 62; c.Observer = nil })
	ctx := context.Background()
	if _, err := h.client.Fetch(ctx, benchSession); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := h.client.Fetch(ctx, benchSession); err != nil {
			b.Fatal(err)
		}
	}
	if n := h.srv.RequestCount(benchSession); n != 1 {
		b.Fatalf("cache hits made %d upstream requests", n-1)
	}
}
