package audittest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// NewURL returns the database URL of a fresh, empty decision log for one
// test, and registers its cleanup with t.Cleanup. Calling it twice in a test
// gives two separate logs; opening the same URL twice opens the same log.
type NewURL func(t *testing.T) string

// Run runs the conformance suite against the backend that newURL's URLs select.
func Run(t *testing.T, newURL NewURL) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newURL) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, newURL) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, newURL) })
	t.Run("NULInReportFields", func(t *testing.T) { testNULInReportFields(t, newURL) })
	t.Run("ConcurrentAppends", func(t *testing.T) { testConcurrent(t, newURL) })
	t.Run("Query", func(t *testing.T) { testQuery(t, newURL) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, newURL) })
	t.Run("Export", func(t *testing.T) { testExport(t, newURL) })
	t.Run("Unreadable", func(t *testing.T) { testUnreadable(t, newURL) })
	t.Run("ReplayRows", func(t *testing.T) { testReplayRows(t, newURL) })
	t.Run("Prune", func(t *testing.T) { testPrune(t, newURL) })
	t.Run("OutboxPrune", func(t *testing.T) { testOutboxPrune(t, newURL) })
	t.Run("OutboxPruneChunks", func(t *testing.T) { testOutboxPruneChunks(t, newURL) })
	t.Run("OutboxPruneRace", func(t *testing.T) { testOutboxPruneRace(t, newURL) })
	t.Run("CloseDrains", func(t *testing.T) { testCloseDrains(t, newURL) })
	t.Run("ReadOnly", func(t *testing.T) { testReadOnly(t, newURL) })
	t.Run("Reopen", func(t *testing.T) { testReopen(t, newURL) })
	t.Run("ConcurrentOpen", func(t *testing.T) { testConcurrentOpen(t, newURL) })
	t.Run("Chain", func(t *testing.T) { testChain(t, newURL) })
	t.Run("ChainConflicts", func(t *testing.T) { testChainConflicts(t, newURL) })
	t.Run("Checkpoints", func(t *testing.T) { testCheckpoints(t, newURL) })
	t.Run("PolicyVersions", func(t *testing.T) { testPolicyVersions(t, newURL) })
}

// MustOpen opens a store or fails the test, and closes it at cleanup.
func MustOpen(t testing.TB, url string, opts audit.Options) audit.Store {
	t.Helper()
	s, err := audit.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// MustAppend appends traces or fails the test.
func MustAppend(t testing.TB, s audit.Store, traces ...*audit.Trace) {
	t.Helper()
	for _, tr := range traces {
		if err := s.Append(context.Background(), tr); err != nil {
			t.Fatalf("append %s: %v", tr.ID, err)
		}
	}
}

// AssertStored fails the test unless s holds each of want, by id, the same
// (AssertSame): an upgraded log read back.
func AssertStored(t testing.TB, s audit.Store, want []*audit.Trace) {
	t.Helper()
	for _, w := range want {
		got, err := s.Get(context.Background(), w.ID)
		if err != nil {
			t.Fatalf("get %s: %v", w.ID, err)
		}
		AssertSame(t, got, w)
	}
}

// AssertSame fails the test unless two traces are the same: equal JSON and
// byte-identical reports.
func AssertSame(t testing.TB, got, want *audit.Trace) {
	t.Helper()
	if !bytes.Equal(got.Report, want.Report) {
		t.Errorf("trace %s: report bytes differ:\n got %q\nwant %q", want.ID, got.Report, want.Report)
	}
	gj, err1 := json.Marshal(got)
	wj, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		t.Fatalf("marshal: %v %v", err1, err2)
	}
	if !bytes.Equal(gj, wj) {
		t.Errorf("trace %s differs:\n got %s\nwant %s", want.ID, gj, wj)
	}
	if !got.DecidedAt.Equal(want.DecidedAt) {
		t.Errorf("trace %s: decided_at %v, want %v", want.ID, got.DecidedAt, want.DecidedAt)
	}
}

func testRoundTrip(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	ctx := context.Background()
	notJSON := SampleTrace(1)
	notJSON.Report = []byte("<html>502 Bad Gateway\x00\xff</html>")
	notJSON.ReportStatus = "invalid"
	notJSON.FetchError = "roundtable returned an invalid report: not a JSON report object"
	noReport := SampleTrace(2)
	noReport.Report = nil
	noReport.ReportStatus = "unavailable"
	noReport.FetchError = "roundtable is unavailable: timeout"
	monitor := SampleTrace(3)
	monitor.MonitorOnly, monitor.WouldBeOutcome, monitor.Outcome = true, monitor.Outcome, "allow"
	idem := SampleTrace(4)
	idem.IdempotencyKey, idem.RequestHash = "order-991", "sha256:0a1b2c"
	unset := SampleTrace(5)
	unset.ID, unset.DecidedAt = "", time.Time{}

	cases := []struct {
		name   string
		trace  *audit.Trace
		filled bool // Append fills id and decided_at
	}{
		{"full trace with shadow", SampleTrace(0), false},
		{"report that is not JSON", notJSON, false},
		{"no report", noReport, false},
		{"monitor only", monitor, false},
		{"idempotency key", idem, false},
		{"id and time filled by Append", unset, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := time.Now().Add(-time.Second)
			MustAppend(t, s, c.trace)
			if c.filled && (c.trace.ID == "" || c.trace.DecidedAt.Before(before)) {
				t.Fatalf("Append left id %q, decided_at %v", c.trace.ID, c.trace.DecidedAt)
			}
			got, err := s.Get(ctx, c.trace.ID)
			if err != nil {
				t.Fatalf("get %s: %v", c.trace.ID, err)
			}
			AssertSame(t, got, c.trace)
		})
	}
	t.Run("unknown id", func(t *testing.T) {
		if _, err := s.Get(ctx, audit.NewID()); !errors.Is(err, audit.ErrNotFound) {
			t.Fatalf("get unknown id: %v, want ErrNotFound", err)
		}
	})
	t.Run("ping", func(t *testing.T) {
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("ping: %v", err)
		}
	})
}

func testInvalid(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	badOutcome := SampleTrace(0)
	badOutcome.Outcome = "maybe"
	badContext := SampleTrace(1)
	badContext.Context = json.RawMessage(`{"amount":`)
	longID := SampleTrace(2)
	longID.ID = string(bytes.Repeat([]byte("x"), 65))
	// Valid JSON syntax but not UTF-8: PostgreSQL refuses it, and with it
	// the whole group-commit batch, so it must be refused on its own.
	notUTF8 := SampleTrace(3)
	notUTF8.Context = json.RawMessage("{\"note\":\"\xff\"}")
	for name, tr := range map[string]*audit.Trace{"outcome": badOutcome, "context": badContext, "id": longID, "context not UTF-8": notUTF8} {
		t.Run(name, func(t *testing.T) {
			if err := s.Append(context.Background(), tr); !errors.Is(err, audit.ErrInvalid) {
				t.Fatalf("append: %v, want ErrInvalid", err)
			}
		})
	}
}

func testReopen(t *testing.T, newURL NewURL) {
	url := newURL(t)
	s, err := audit.Open(context.Background(), url, audit.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	tr := SampleTrace(9)
	MustAppend(t, s, tr)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := s.Append(context.Background(), SampleTrace(10)); !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("append after close: %v, want ErrClosed", err)
	}
	// Opening again runs the migrations again: they must be idempotent.
	s2 := MustOpen(t, url, audit.Options{})
	got, err := s2.Get(context.Background(), tr.ID)
	if err != nil {
		t.Fatalf("get after reopen: %v", err)
	}
	AssertSame(t, got, tr)
}

func testReadOnly(t *testing.T, newURL NewURL) {
	url := newURL(t)
	w := MustOpen(t, url, audit.Options{})
	tr := SampleTrace(0)
	MustAppend(t, w, tr)
	r := MustOpen(t, url, audit.Options{ReadOnly: true})
	if err := r.Append(context.Background(), SampleTrace(1)); !errors.Is(err, audit.ErrReadOnly) {
		t.Fatalf("append read-only: %v, want ErrReadOnly", err)
	}
	if _, err := r.Prune(context.Background(), time.Now()); !errors.Is(err, audit.ErrReadOnly) {
		t.Fatalf("prune read-only: %v, want ErrReadOnly", err)
	}
	got, err := r.Get(context.Background(), tr.ID)
	if err != nil {
		t.Fatalf("get read-only: %v", err)
	}
	AssertSame(t, got, tr)
}

// testConcurrentOpen opens one fresh log from several goroutines at once, as
// replicas starting together do: the migrations must run once and every open
// must succeed.
func testConcurrentOpen(t *testing.T, newURL NewURL) {
	url := newURL(t)
	const n = 4
	stores := make([]audit.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = audit.Open(context.Background(), url, audit.Options{})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("open %d: %v", i, errs[i])
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	for i, s := range stores {
		MustAppend(t, s, SampleTrace(i))
	}
	var count int
	if err := stores[0].Export(context.Background(), zeroTime, zeroTime, func(*audit.Trace) error { count++; return nil }); err != nil {
		t.Fatalf("export: %v", err)
	}
	if count != n {
		t.Fatalf("%d traces after %d appends through %d stores", count, n, n)
	}
}
