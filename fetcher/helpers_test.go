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
	"github.com/verdicthq/verdict/internal/testwait"
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
	clock  *fakeClock
	cfg    fetcher.Config
}

// fakeClock is the client's clock in tests: time moves only when a test
// advances it, so TTLs and cool-downs are tested without sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)}
}

// Now is the fake current time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the fake time on by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newHarness starts a simulator and a client for it with quick test
// settings (400ms budget, short back-off, a breaker that stays closed, the
// fake clock h.clock for the cache and the breaker); mutate adjusts the
// configuration.
func newHarness(t testing.TB, mutate func(*fetcher.Config)) *harness {
	t.Helper()
	h := &harness{srv: startSim(t), logs: &syncbuf.Buffer{}, obs: &observer{}, clock: newFakeClock()}
	h.cfg = fetcher.Config{
		BaseURL:         h.srv.URL(),
		APIKey:          testKey,
		Timeout:         400 * time.Millisecond,
		RetryBaseDelay:  10 * time.Millisecond,
		RetryMaxDelay:   40 * time.Millisecond,
		BreakerFailures: 1000,
		Observer:        h.obs,
		Now:             h.clock.Now,
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

// waitFor polls cond until it holds (internal/testwait: a generous
// deadline, never a timing assertion).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, cond)
}
