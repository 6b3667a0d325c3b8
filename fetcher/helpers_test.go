package fetcher_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/internal/syncbuf"
	"github.com/verdicthq/verdict/report"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testKey is the simulator's key; tests prove it never leaks.
const testKey = "sk-live-S3CR3T-5d41402abc4b2a76b9719d911017c592"

func isValidUTF8(s string) bool { return utf8.ValidString(s) }

// startSim starts a simulator over report/testdata/reports that wants testKey.
func startSim(t testing.TB) *roundtabletest.Server {
	t.Helper()
	srv, err := roundtabletest.Start(roundtabletest.Options{ReportsDir: "../report/testdata/reports", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// observer counts the client's events.
type observer struct {
	upstream atomic.Int64
	retries  atomic.Int64
	hits     atomic.Int64
	misses   atomic.Int64

	mu       sync.Mutex
	statuses []string
	states   []string
}

func (o *observer) Upstream(status string, _ time.Duration) {
	o.upstream.Add(1)
	o.mu.Lock()
	o.statuses = append(o.statuses, status)
	o.mu.Unlock()
}
func (o *observer) Retry() { o.retries.Add(1) }
func (o *observer) BreakerState(s string) {
	o.mu.Lock()
	o.states = append(o.states, s)
	o.mu.Unlock()
}
func (o *observer) Cache(hit bool) {
	if hit {
		o.hits.Add(1)
	} else {
		o.misses.Add(1)
	}
}

func (o *observer) breakerStates() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.states...)
}

// harness is a client wired to a simulator, with its logs and events.
type harness struct {
	srv    *roundtabletest.Server
	client *fetcher.Client
	logs   *syncbuf.Buffer
	obs    *observer
	cfg    fetcher.Config
}

// newHarness starts a simulator and a client for it with quick test
// settings (400ms budget, short back-off, a breaker that stays closed);
// mutate adjusts the configuration.
func newHarness(t testing.TB, mutate func(*fetcher.Config)) *harness {
	t.Helper()
	h := &harness{srv: startSim(t), logs: &syncbuf.Buffer{}, obs: &observer{}}
	h.cfg = fetcher.Config{
		BaseURL:         h.srv.URL(),
		APIKey:          testKey,
		Timeout:         400 * time.Millisecond,
		RetryBaseDelay:  10 * time.Millisecond,
		RetryMaxDelay:   40 * time.Millisecond,
		BreakerFailures: 1000,
		Observer:        h.obs,
		Logger:          zerolog.New(h.logs).Level(zerolog.DebugLevel),
	}
	if mutate != nil {
		mutate(&h.cfg)
	}
	c, err := fetcher.New(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.client = c
	t.Cleanup(c.Close)
	return h
}

// fetch fetches id with a background context and says how long it took.
func (h *harness) fetch(id string) (*report.Report, time.Duration, error) {
	start := time.Now()
	rep, err := h.client.Fetch(context.Background(), id)
	return rep, time.Since(start), err
}
