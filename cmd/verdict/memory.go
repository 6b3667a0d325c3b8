package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/internal/lists"
	"github.com/verdicthq/verdict/internal/memory"
)

// How often serve reads list changes and other replicas' decisions from the
// log, and sweeps counters.
const (
	listPollEvery    = 250 * time.Millisecond
	counterTailEvery = 250 * time.Millisecond
	counterSweep     = time.Minute
)

// openMemory builds serve's lists and counters (bounded by cc) and loads
// the lists from the decision log (the counters are built per policy set,
// in prepareMemory).
func openMemory(store audit.Store, cc counters.Config, log zerolog.Logger) (*memory.Memory, error) {
	mem := &memory.Memory{Lists: lists.NewMemory(), Counters: counters.New(cc)}
	if ls, ok := store.(audit.ListStore); ok {
		ctx, cancel := context.WithTimeout(context.Background(), openLogTimeout)
		defer cancel()
		start := time.Now()
		if err := mem.Lists.Load(ctx, ls); err != nil {
			return nil, fmt.Errorf("decision log: %w", err)
		}
		log.Info().Dur("took", time.Since(start)).Int64("list_change_seq", mem.Lists.Seq()).Msg("lists loaded from the decision log")
	}
	return mem, nil
}

// prepareMemory readies a loaded policy set before it goes live: its
// file-backed lists read, its new counters built from the decision log
// (progress logged).
func prepareMemory(ctx context.Context, mem *memory.Memory, store audit.Store, dir string, set *engine.Set, log zerolog.Logger) error {
	if err := mem.Lists.LoadFiles(dir, set); err != nil {
		return err
	}
	rs, _ := store.(audit.RowSource)
	start := time.Now()
	var last time.Time
	var built []string
	err := mem.Counters.Install(ctx, set, rs, time.Now(), func(done, total int64, names []string) {
		built = names
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		log.Info().Strs("counters", names).Int64("traces", done).Int64("of", total).Msg("counters: backfilling from the decision log")
	})
	if err != nil {
		return err
	}
	if built != nil {
		log.Info().Strs("counters", built).Dur("took", time.Since(start)).Int64("counter_bytes", mem.Counters.Bytes()).
			Msg("counters built from the decision log")
	}
	return nil
}

// listService is the service behind the list routes: the live set's
// declared lists over the log.
func listService(store audit.Store, mem *memory.Memory, live *engine.Live) *lists.Service {
	ls, ok := store.(audit.ListStore)
	if !ok {
		return nil
	}
	return &lists.Service{Store: ls, Memory: mem.Lists, Declared: func() map[string]lists.Decl { return lists.DeclsOf(live.Load()) }}
}

// runMemory starts the background loops of lists and counters: list
// changes polled from the log (another replica's, `verdict lists import`),
// counters swept, and, on a shared PostgreSQL log, other replicas'
// decisions tailed into the counters.
func (a *app) runMemory(ctx context.Context, wg *sync.WaitGroup) {
	mem := a.memory
	if ls, ok := a.store.(audit.ListStore); ok {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mem.Lists.Poll(ctx, ls, listPollEvery, func(err error) {
				a.log.Warn().Err(err).Msg("lists: reading changes from the decision log failed; retrying")
			})
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(counterSweep)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				mem.Counters.Sweep(now)
			}
		}
	}()
	if rs, ok := a.store.(audit.RowSource); ok && audit.Scheme(a.cfg.Database.URL.Reveal()) == "postgres" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mem.Counters.Tail(ctx, rs, counterTailEvery, func(err error) {
				a.log.Warn().Err(err).Msg("counters: reading other replicas' decisions failed; retrying")
			})
		}()
	}
}
