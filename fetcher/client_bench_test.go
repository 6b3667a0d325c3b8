package fetcher_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/report"
)

// The benchmarks below measure, against the same local simulator and the
// same report (report/testdata/reports/full.json):
//
//   - BenchmarkFetchMiss: a fetch through the client with the cache off, so
//     every iteration is a full upstream fetch (coalescing, breaker, budget,
//     size limit, report validation);
//   - BenchmarkPlainGET: its floor, a plain net/http GET with the same
//     headers and a json.Unmarshal of the body into report.Report;
//   - BenchmarkMissVsPlain: the two interleaved, one of each per iteration in
//     alternating order, each timed on its own: on a shared, loaded machine
//     the ratio it reports is far steadier than one of two separate runs;
//   - BenchmarkFetchHit: a cache hit, which must make no upstream call.
//
// go test -run '^$' -bench . -benchmem ./fetcher/

const benchSession = "sess-full"

// noCache configures a client whose every fetch goes upstream.
// It keeps the default budget: a loaded machine must not fail a benchmark.
func noCache(c *fetcher.Config) {
	c.CacheTTL = -1
	c.Observer = nil
	c.Timeout = fetcher.DefaultTimeout
}

func BenchmarkFetchMiss(b *testing.B) {
	h := newHarness(b, noCache)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.client.Fetch(ctx, benchSession); err != nil {
			b.Fatal(err)
		}
	}
}

// plainGetter is the floor: net/http and encoding/json, nothing else.
type plainGetter struct {
	tr     *http.Transport
	client *http.Client
	url    string
}

func newPlainGetter(baseURL string) *plainGetter {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	return &plainGetter{tr: tr, client: &http.Client{Transport: tr}, url: baseURL + "/v1/sessions/" + benchSession + "/report"}
}

func (p *plainGetter) get(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %v", resp.StatusCode, err)
	}
	var rep report.Report
	return json.Unmarshal(body, &rep)
}

func BenchmarkPlainGET(b *testing.B) {
	srv := startSim(b)
	p := newPlainGetter(srv.URL())
	defer p.tr.CloseIdleConnections()
	ctx := context.Background()
	for b.Loop() {
		if err := p.get(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMissVsPlain(b *testing.B) {
	h := newHarness(b, noCache)
	p := newPlainGetter(h.srv.URL())
	defer p.tr.CloseIdleConnections()
	ctx := context.Background()
	fetch := func() time.Duration {
		t0 := time.Now()
		if _, err := h.client.Fetch(ctx, benchSession); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	plain := func() time.Duration {
		t0 := time.Now()
		if err := p.get(ctx); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	var client, floor []time.Duration
	for b.Loop() {
		if len(client)%2 == 0 {
			client = append(client, fetch())
			floor = append(floor, plain())
		} else {
			floor = append(floor, plain())
			client = append(client, fetch())
		}
	}
	// Medians: a fetch that the scheduler preempted for another process says
	// nothing about either side.
	mc, mp := median(client), median(floor)
	b.ReportMetric(float64(mc.Nanoseconds()), "client-median-ns")
	b.ReportMetric(float64(mp.Nanoseconds()), "plain-median-ns")
	b.ReportMetric(float64(mc)/float64(mp), "client/plain")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
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
