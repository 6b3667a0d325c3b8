// Command paced is an open-loop load generator: it starts requests at a
// fixed rate whatever the server's latency (as wrk2 does; wrk2 is not in
// Debian), and measures each request from the moment it was due, so a
// stalled server cannot hide its latency (no coordinated omission).
//
//	go run ./bench/paced --url http://127.0.0.1:18080/v1/decisions \
//	    --body '{"session_id":"demo-allow"}' -H 'Authorization: Bearer demo-key' \
//	    --rate 200 --duration 30s
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	url := flag.String("url", "", "target `URL`")
	method := flag.String("method", "", "HTTP method (default POST with --body, GET without)")
	body := flag.String("body", "", "request body (sent as application/json)")
	rate := flag.Int("rate", 200, "requests per second")
	duration := flag.Duration("duration", 30*time.Second, "how long to measure")
	warmup := flag.Duration("warmup", 3*time.Second, "load before measuring (not counted)")
	ids := flag.String("ids", "", "comma-separated `ids`: request i replaces {id} in the URL and body with ids[i % len]")
	var hdrs headers
	flag.Var(&hdrs, "H", "request header `Name: value` (repeatable)")
	flag.Parse()
	var idList []string
	if *ids != "" {
		idList = strings.Split(*ids, ",")
	}
	if *url == "" || *rate <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *method == "" {
		*method = http.MethodGet
		if *body != "" {
			*method = http.MethodPost
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}, Timeout: 10 * time.Second}
	send := func(ctx context.Context, i int) (int, error) {
		u, b := *url, *body
		if len(idList) > 0 {
			id := idList[i%len(idList)]
			u, b = strings.ReplaceAll(u, "{id}", id), strings.ReplaceAll(b, "{id}", id)
		}
		var rd io.Reader
		if b != "" {
			rd = strings.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, *method, u, rd)
		if err != nil {
			return 0, err
		}
		if *body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for _, h := range hdrs {
			k, v, _ := strings.Cut(h, ":")
			req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	interval := time.Second / time.Duration(*rate)
	total := *warmup + *duration
	start := time.Now()
	measureFrom := start.Add(*warmup)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      int
		statuses  = map[int]int{}
		wg        sync.WaitGroup
	)
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= total {
			break
		}
		time.Sleep(time.Until(due))
		wg.Add(1)
		go func(due time.Time, i int) {
			defer wg.Done()
			code, err := send(context.Background(), i)
			lat := time.Since(due)
			if due.Before(measureFrom) {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				return
			}
			statuses[code]++
			latencies = append(latencies, lat)
		}(due, i)
	}
	wg.Wait()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		i := int(float64(len(latencies))*p/100 + 0.5)
		if i >= len(latencies) {
			i = len(latencies) - 1
		}
		return latencies[i]
	}
	fmt.Printf("target   %s %s at %d req/s for %s (after %s warm-up)\n", *method, *url, *rate, *duration, *warmup)
	fmt.Printf("requests %d measured, %d errors, statuses %v\n", len(latencies), errs, statuses)
	fmt.Printf("latency  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", ms(pct(50)), ms(pct(90)), ms(pct(99)), ms(pct(99.9)), ms(pct(100)))
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "p50_ms=%.3f p99_ms=%.3f\n", float64(pct(50).Microseconds())/1000, float64(pct(99).Microseconds())/1000)
	os.Stdout.Write(buf.Bytes())
	if errs > 0 || statuses[200] != len(latencies) {
		os.Exit(1)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
