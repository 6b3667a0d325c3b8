package counters_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/postgres"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/internal/testwait"
)

// TestTailReplicas: replicas on one PostgreSQL log, each with its own store
// (its own chains) and tailing the log. A decision replica A records (and
// observes) shows in replica B's counters by tailing; A, whose tail skips
// its own chains, counts each of its decisions once; each trace another
// replica recorded is read in full once however many polls run.
func TestTailReplicas(t *testing.T) {
	url := audittest.PostgresSchema(t, audittest.RequirePostgres(t))
	storeA := audittest.MustOpen(t, url, audit.Options{})
	storeB := &countingTail{Store: audittest.MustOpen(t, url, audit.Options{})}
	storeC := audittest.MustOpen(t, url, audit.Options{}) // a third replica, recording only
	set := loadSet(t)
	a, b := counters.New(counters.Config{}), counters.New(counters.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	for _, r := range []struct {
		c   *counters.Counters
		src audit.RowSource
	}{{a, storeA.(audit.RowSource)}, {b, storeB}} {
		if err := r.c.Install(context.Background(), set, r.src, time.Now(), nil); err != nil {
			t.Fatal(err)
		}
		go func() {
			r.c.Tail(ctx, r.src, 50*time.Millisecond, func(err error) { t.Error(err) })
			done <- struct{}{}
		}()
	}
	defer func() { cancel(); <-done; <-done }()

	d := decl(t, set, "user_denials_1h")
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range 3 {
		e := event{user: "u-tail", card: "c1", amount: 10, outcome: "deny"}
		tr := e.trace(t)
		tr.DecidedAt = now.Add(time.Duration(i) * time.Millisecond)
		audittest.MustAppend(t, storeA, tr) // replica A records it...
		_, p := e.past(t)
		p.DecidedAt = tr.DecidedAt
		a.Observe(tr.ID, p) // ...and observes it once durable
	}
	at := now.Add(time.Second)
	testwait.Until(t, "replica B counts replica A's decisions", func() bool {
		v, _ := b.Value(d, "u-tail", at)
		return v == 3
	})
	// A fourth decision, recorded by the third replica: A and B see it only
	// by tailing.
	e := event{user: "u-tail", card: "c1", amount: 10, outcome: "deny"}
	tr := e.trace(t)
	tr.DecidedAt = now.Add(3 * time.Millisecond)
	audittest.MustAppend(t, storeC, tr)
	testwait.Until(t, "replica A tails the third replica's decision", func() bool {
		v, _ := a.Value(d, "u-tail", at)
		return v >= 4
	})
	testwait.Until(t, "replica B tails it too", func() bool {
		v, _ := b.Value(d, "u-tail", at)
		return v >= 4
	})
	polls := storeB.polls.Load()
	testwait.Until(t, "replica B to poll three more times", func() bool { return storeB.polls.Load() >= polls+3 })
	for name, c := range map[string]*counters.Counters{"A": a, "B": b} {
		if v, _ := c.Value(d, "u-tail", at); v != 4 {
			t.Errorf("replica %s counts %v, want 4: a decision counted twice", name, v)
		}
	}
	if n := storeB.rows.Load(); n != 4 {
		t.Errorf("replica B read %d traces in full, want 4: each other replica's trace once", n)
	}
}

// countingTail is a store whose tail reads are counted: polls (OthersSince
// calls) and the rows read in full.
type countingTail struct {
	audit.Store
	polls, rows atomic.Int64
}

func (c *countingTail) ReplayRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	return c.Store.(audit.RowSource).ReplayRows(ctx, since, until, fn)
}

func (c *countingTail) CounterRows(ctx context.Context, since, until time.Time, fn func(*audit.ReplayRow) error) error {
	return c.Store.(audit.RowSource).CounterRows(ctx, since, until, fn)
}

func (c *countingTail) Count(ctx context.Context, since, until time.Time) (int64, error) {
	return c.Store.(audit.RowSource).Count(ctx, since, until)
}

func (c *countingTail) OthersSince(ctx context.Context, since time.Time, fn func(string, time.Time) error) error {
	c.polls.Add(1)
	return c.Store.(audit.ReplicaTail).OthersSince(ctx, since, fn)
}

func (c *countingTail) CounterRowsByID(ctx context.Context, ids []string, fn func(*audit.ReplayRow) error) error {
	return c.Store.(audit.ReplicaTail).CounterRowsByID(ctx, ids, func(r *audit.ReplayRow) error {
		c.rows.Add(1)
		return fn(r)
	})
}
