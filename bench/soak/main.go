// Command soak drives POST /v1/decisions at a steady, modest rate over a
// large space of distinct session ids and samples the resident memory (RSS,
// from /proc) of the processes named, so that a memory that grows with the
// number of sessions seen shows as a rising line (docs/operations.md,
// "Memory"). bench/soak.sh starts verdict and runs it.
//
//	go run ./bench/soak --url http://127.0.0.1:18090 --key demo-key \
//	    --rate 850 --duration 20m --ids 1000000 --pid verdict=12345
//
// Session ids are soak-0000000 … soak-(ids-1), each used once in turn (then
// again from the start), so every decision in a run of ids requests is for a
// session not seen before. One request in --known-every is for one of the
// --known sessions instead (reports the demo simulator serves), and one in
// --idem-every carries a fresh Idempotency-Key.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type procs []proc

type proc struct {
	name string
	pid  int
}

func (p *procs) String() string { return fmt.Sprint(*p) }
func (p *procs) Set(v string) error {
	name, pid, ok := strings.Cut(v, "=")
	n, err := strconv.Atoi(pid)
	if !ok || err != nil || n <= 0 {
		return fmt.Errorf("want name=pid, got %q", v)
	}
	*p = append(*p, proc{name, n})
	return nil
}

func main() {
	base := flag.String("url", "http://127.0.0.1:18090", "verdict's base `URL`")
	key := flag.String("key", "demo-key", "API key (decide scope)")
	rate := flag.Int("rate", 850, "decisions per second")
	duration := flag.Duration("duration", 20*time.Minute, "how long to run")
	ids := flag.Int("ids", 1_000_000, "distinct session ids")
	known := flag.String("known", "demo-allow,demo-review,demo-deny", "comma-separated sessions with a report in the demo folder")
	knownEvery := flag.Int("known-every", 10, "one request in N is for a known session (0: never)")
	idemEvery := flag.Int("idem-every", 4, "one request in N carries a fresh Idempotency-Key (0: never)")
	inflight := flag.Int("inflight", 64, "most requests in flight; a due request is skipped (and counted) past it")
	every := flag.Duration("sample", 10*time.Second, "RSS sampling interval")
	out := flag.String("out", "", "CSV `file` of the samples (default: stdout only)")
	var ps procs
	flag.Var(&ps, "pid", "process to sample, `name=pid` (repeatable)")
	flag.Parse()
	if *rate <= 0 || *ids <= 0 || len(ps) == 0 {
		fmt.Fprintln(os.Stderr, "soak: --rate and --ids must be positive and at least one --pid given")
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()

	var csv io.Writer = io.Discard
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			os.Exit(1)
		}
		defer f.Close()
		csv = f
	}
	metricsURL := strings.TrimRight(*base, "/") + "/metrics"
	l := &load{url: strings.TrimRight(*base, "/") + "/v1/decisions", key: *key, ids: *ids,
		known: strings.Split(*known, ","), knownEvery: *knownEvery, idemEvery: *idemEvery,
		slots: make(chan struct{}, *inflight),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: *inflight, MaxConnsPerHost: *inflight}}}

	header := "elapsed_s,sent,ok,non200,errors,skipped,verdict_heap_inuse_kib"
	for _, p := range ps {
		header += "," + p.name + "_rss_kib," + p.name + "_rss_anon_kib," + p.name + "_rss_file_kib"
	}
	fmt.Fprintln(csv, header)
	fmt.Println(header)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.run(ctx, *rate)
	}()
	start := time.Now()
	tick := time.NewTicker(*every)
	defer tick.Stop()
	var first, last []int64 // RSS after minute 1, and at the end
	sample := func() {
		rss := make([]int64, len(ps))
		line := fmt.Sprintf("%.0f,%d,%d,%d,%d,%d,%d", time.Since(start).Seconds(),
			l.sent.Load(), l.ok.Load(), l.non200.Load(), l.errs.Load(), l.skipped.Load(), heapInuseKiB(metricsURL))
		for i, p := range ps {
			st := procStatus(p.pid)
			rss[i] = st["VmRSS"]
			line += fmt.Sprintf(",%d,%d,%d", st["VmRSS"], st["RssAnon"], st["RssFile"]+st["RssShmem"])
		}
		fmt.Fprintln(csv, line)
		fmt.Println(line)
		if first == nil && time.Since(start) >= time.Minute {
			first = rss
		}
		last = rss
	}
loop:
	for {
		select {
		case <-tick.C:
			sample()
		case <-done:
			break loop
		}
	}
	l.wait()
	sample()
	fmt.Printf("== %s at %d/s over %d ids: sent %d, ok %d, non-200 %d, errors %d, skipped %d\n",
		time.Since(start).Round(time.Second), *rate, *ids, l.sent.Load(), l.ok.Load(), l.non200.Load(), l.errs.Load(), l.skipped.Load())
	if first == nil {
		fmt.Println("== shorter than a minute: no minute-1 figure")
		return
	}
	for i, p := range ps {
		fmt.Printf("== %s RSS: minute 1 %.1f MiB, end %.1f MiB, end/minute-1 %.3f\n",
			p.name, float64(first[i])/1024, float64(last[i])/1024, float64(last[i])/float64(first[i]))
	}
}

// load is the request side: an open-loop ticker that starts each due
// request unless --inflight are already under way.
type load struct {
	url, key   string
	ids        int
	known      []string
	knownEvery int
	idemEvery  int
	slots      chan struct{}
	client     *http.Client
	wg         sync.WaitGroup

	sent, ok, non200, errs, skipped atomic.Int64
}

func (l *load) run(ctx context.Context, rate int) {
	interval := time.Second / time.Duration(rate)
	next := time.Now()
	for n := 0; ; n++ {
		next = next.Add(interval)
		if d := time.Until(next); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		select {
		case l.slots <- struct{}{}:
		default:
			l.skipped.Add(1)
			continue
		}
		l.wg.Add(1)
		go func(n int) {
			defer l.wg.Done()
			defer func() { <-l.slots }()
			l.decide(n)
		}(n)
	}
}

func (l *load) wait() { l.wg.Wait() }

func (l *load) decide(n int) {
	id := fmt.Sprintf("soak-%07d", n%l.ids)
	if l.knownEvery > 0 && n%l.knownEvery == 0 && len(l.known) > 0 {
		id = l.known[(n/l.knownEvery)%len(l.known)]
	}
	body := fmt.Sprintf(`{"session_id":%q,"context":{"amount":%d,"country":"FR"}}`, id, 10+n%900)
	req, err := http.NewRequest(http.MethodPost, l.url, bytes.NewBufferString(body))
	if err != nil {
		l.errs.Add(1)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.key)
	if l.idemEvery > 0 && n%l.idemEvery == 0 {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("soak-%d-%d", os.Getpid(), n))
	}
	l.sent.Add(1)
	resp, err := l.client.Do(req)
	if err != nil {
		l.errs.Add(1)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		l.ok.Add(1)
	} else {
		l.non200.Add(1)
	}
}

// procStatus reads the memory lines of /proc/PID/status (VmRSS, RssAnon,
// RssFile, RssShmem) in KiB; a line it cannot read is -1, and all are -1 once
// the process has gone.
func procStatus(pid int) map[string]int64 {
	out := map[string]int64{"VmRSS": -1, "RssAnon": -1, "RssFile": -1, "RssShmem": -1}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), ":")
		if _, want := out[name]; !ok || !want {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
			out[name] = n
		}
	}
	return out
}

// heapInuseKiB reads go_memstats_heap_inuse_bytes from verdict's /metrics, in
// KiB; -1 when it cannot.
func heapInuseKiB(url string) int64 {
	resp, err := http.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return -1
			}
			return int64(f) / 1024
		}
	}
	return -1
}
