package counters_test

import (
	"context"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/postgres"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/internal/testwait"
)

// TestTailReplicas: two replicas on one PostgreSQL log, each tailing it.
// A decision replica A records (and observes) shows in replica B's counters
// by tailing, and A, tailing its own decisions too, counts each once.
func TestTailReplicas(t *testing.T) {
	url := audittest.PostgresSchema(t, audittest.RequirePostgres(t))
	store := audittest.MustOpen(t, url, audit.Options{})
	rs := store.(audit.RowSource)
	set := loadSet(t)
	a, b := counters.New(counters.Config{}), counters.New(counters.Config{})
	for _, c := range []*counters.Counters{a, b} {
		if err := c.Install(context.Background(), set, rs, time.Now(), nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	for _, c := range []*counters.Counters{a, b} {
		go func() { c.Tail(ctx, rs, 50*time.Millisecond, func(err error) { t.Error(err) }); done <- struct{}{} }()
	}
	defer func() { cancel(); <-done; <-done }()

	d := decl(t, set, "user_denials_1h")
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range 3 {
		e := event{user: "u-tail", card: "c1", amount: 10, outcome: "deny"}
		tr := e.trace(t)
		tr.DecidedAt = now.Add(time.Duration(i) * time.Millisecond)
		audittest.MustAppend(t, store, tr) // replica A records it...
		_, p := e.past(t)
		p.DecidedAt = tr.DecidedAt
		a.Observe(tr.ID, p) // ...and observes it once durable
	}
	at := now.Add(time.Second)
	testwait.Until(t, "replica B counts replica A's decisions", func() bool {
		v, _ := b.Value(d, "u-tail", at)
		return v == 3
	})
	// A fourth decision, recorded by a third replica: A sees it only by
	// tailing, and that tail re-reads A's own three (within Lookback).
	e := event{user: "u-tail", card: "c1", amount: 10, outcome: "deny"}
	tr := e.trace(t)
	tr.DecidedAt = now.Add(3 * time.Millisecond)
	audittest.MustAppend(t, store, tr)
	testwait.Until(t, "replica A tails the third replica's decision", func() bool {
		v, _ := a.Value(d, "u-tail", at)
		return v >= 4
	})
	testwait.Until(t, "replica B tails it too", func() bool {
		v, _ := b.Value(d, "u-tail", at)
		return v >= 4
	})
	for name, c := range map[string]*counters.Counters{"A": a, "B": b} {
		if v, _ := c.Value(d, "u-tail", at); v != 4 {
			t.Errorf("replica %s counts %v, want 4: a decision counted twice", name, v)
		}
	}
}
