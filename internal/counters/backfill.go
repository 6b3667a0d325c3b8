package counters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// Progress is told how a backfill goes: rows read of about total (-1 when
// unknown), and the counters being built.
type Progress func(done, total int64, counters []string)

// Install makes sure every counter of set has a state, building each new
// one from the log: the decisions recorded in [now − window, now) and
// after. A new state observes recorded decisions from the moment it is
// created, so none recorded during the backfill is missed, and each is
// counted once. It returns an error, and keeps no new state, when the log
// cannot be read or the new counters would take the counters over their
// budget: the set must then not go live.
func (c *Counters) Install(ctx context.Context, set *engine.Set, src audit.RowSource, now time.Time, progress Progress) error {
	var fresh []*state
	var names []string
	var window time.Duration
	c.mu.Lock()
	for _, d := range set.Counters() {
		if c.states[d.Definition] != nil {
			continue
		}
		st := c.newState(d)
		c.states[d.Definition] = st
		fresh = append(fresh, st)
		names = append(names, d.Name)
		window = max(window, d.Window)
	}
	c.relist()
	c.mu.Unlock()
	if len(fresh) == 0 {
		return nil
	}
	drop := func() {
		c.mu.Lock()
		for _, st := range fresh {
			delete(c.states, st.decl.Definition)
			c.bytes.Add(-st.bytes())
		}
		c.relist()
		c.mu.Unlock()
	}
	if src == nil {
		return nil // no log: the counters start empty
	}
	since := now.Add(-window)
	total := int64(-1)
	if progress != nil {
		if n, err := src.Count(ctx, since, time.Time{}); err == nil {
			total = n
		}
	}
	remember := now.Add(-c.cfg.Lookback).UnixMicro()
	obs := newBatchObserver(fresh)
	err := feed(ctx, src, since, time.Time{}, readingFor(fresh, src), func(batch []decoded) {
		obs.observe(batch, remember)
	}, func(done int64) error {
		if progress != nil {
			progress(done, total, names)
		}
		if c.bytes.Load() > c.cfg.Budget {
			return errBudget
		}
		return nil
	})
	if errors.Is(err, errBudget) {
		refusal := c.errOverBudget(fresh)
		drop()
		return refusal
	}
	if err != nil {
		drop()
		return fmt.Errorf("backfill counters %v from the decision log: %w", names, err)
	}
	if c.bytes.Load() > c.cfg.Budget {
		refusal := c.errOverBudget(fresh)
		drop()
		return refusal
	}
	return nil
}

var errBudget = errors.New("counters over budget")

// Rebuild is Install at start: every counter of set, from the log.
func (c *Counters) Rebuild(ctx context.Context, set *engine.Set, src audit.RowSource, now time.Time, progress Progress) error {
	return c.Install(ctx, set, src, now, progress)
}

// reading is how feed reads and decodes the log's rows.
type reading int

const (
	readFull    reading = iota // every report decoded whole
	readScalars                // only the reports' top-level fields: no counter reads a check (report.DecodeScalars)
	readLean                   // no reports: no counter reads a report field but user_id, read from its column
	readColumns                // no reports: no counter reads a report field but user_id, risk_score and documented checks, read from their columns
)

// readingFor is the cheapest reading that gives the states' counters what
// a full decode would, as src can read.
func readingFor(states []*state, src audit.RowSource) reading {
	lean, columns, scalars := true, true, true
	for _, st := range states {
		lean = lean && st.decl.ReadsReportOnly("user_id")
		columns = columns && st.decl.ReadsReportOnly("user_id", "risk_score", "checks")
		scalars = scalars && !st.decl.ReadsChecks()
	}
	if _, ok := src.(audit.LeanCounterSource); ok && lean {
		return readLean
	}
	if _, ok := src.(audit.ReportColumnSource); ok && columns {
		return readColumns
	}
	if scalars {
		return readScalars
	}
	return readFull
}

// decoded is a stored decision as counters read it.
type decoded struct {
	id   string
	past engine.PastDecision
}

// batchObserver adds batches of decisions to states. Each decision's
// contributions to every state are worked out together, from one env per
// group of counters (engine.GroupCounters), then added state by state under
// one taking of each state's lock (per decision, the backfill's workers
// spent as long waiting for the states' locks as adding).
type batchObserver struct {
	groups []*engine.CounterGroup
	slots  [][]int  // per group, the index in states of each of its decls
	states []*state // every state observed
}

func newBatchObserver(states []*state) *batchObserver {
	decls := make([]*engine.CounterDecl, len(states))
	slot := make(map[*engine.CounterDecl]int, len(states))
	for i, st := range states {
		decls[i] = &st.decl
		slot[&st.decl] = i
	}
	o := &batchObserver{groups: engine.GroupCounters(decls), states: states}
	for _, g := range o.groups {
		slots := make([]int, len(g.Decls()))
		for i, d := range g.Decls() {
			slots[i] = slot[d]
		}
		o.slots = append(o.slots, slots)
	}
	return o
}

// observe adds a batch of decisions, in order, to each state.
func (o *batchObserver) observe(batch []decoded, remember int64) {
	cs := make([][]contribution, len(o.states))
	var got []engine.Contributed
	for i := range batch {
		d := &batch[i]
		at := d.past.DecidedAt.UnixMicro()
		id := d.id
		if at < remember {
			// No state can have counted it yet: decisions observed live,
			// and the ids remembered, are all within Lookback of the
			// backfill's start. Without its id it is not looked up.
			id = ""
		}
		for gi, g := range o.groups {
			got = g.Contributions(d.past, got[:0])
			for _, c := range got {
				k := o.slots[gi][c.Index]
				cs[k] = append(cs[k], o.states[k].contributionOf(id, at, c.Key, c.Value, remember))
			}
		}
	}
	for k, st := range o.states {
		if len(cs[k]) > 0 {
			st.addAll(cs[k])
		}
	}
}

// feed reads the log's rows decided in [since, until) (a zero until: to the
// end), only the columns counters read, decodes them on every core (with
// less as mode allows: see reading),
// and hands the recorded decisions to fn a batch at a time, in the order
// read within a batch; tick is called every few thousand rows with how
// many were done; an error from it stops the feed and is returned.
func feed(ctx context.Context, src audit.RowSource, since, until time.Time, mode reading, fn func(batch []decoded), tick func(done int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	const chunk = 256
	rows := make(chan []*audit.ReplayRow, workers*2)
	var done atomic.Int64
	var wg sync.WaitGroup
	var stop atomic.Pointer[error]
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctxs := newContextDecoder()
			for batch := range rows {
				if stop.Load() != nil {
					continue // drain, so the reader ends
				}
				ds := make([]decoded, 0, len(batch))
				for _, r := range batch {
					if p, ok := pastOf(r, mode, ctxs); ok {
						ds = append(ds, decoded{r.ID, p})
					}
				}
				fn(ds)
				if n := done.Add(int64(len(batch))); n/8192 != (n-int64(len(batch)))/8192 {
					if err := tick(n); err != nil {
						stop.CompareAndSwap(nil, &err)
						cancel()
					}
				}
			}
		}()
	}
	batch := make([]*audit.ReplayRow, 0, chunk)
	read := src.CounterRows
	if lean, ok := src.(audit.LeanCounterSource); ok && mode == readLean {
		read = lean.LeanCounterRows
	}
	if cols, ok := src.(audit.ReportColumnSource); ok && mode == readColumns {
		read = cols.ReportColumnRows
	}
	readErr := read(ctx, since, until, func(r *audit.ReplayRow) error {
		batch = append(batch, r)
		if len(batch) < chunk {
			return nil
		}
		select {
		case rows <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		batch = make([]*audit.ReplayRow, 0, chunk)
		return nil
	})
	if readErr == nil && len(batch) > 0 {
		select {
		case rows <- batch:
		case <-ctx.Done():
		}
	}
	close(rows)
	wg.Wait()
	if e := stop.Load(); e != nil {
		return *e
	}
	if readErr != nil {
		return readErr
	}
	return tick(done.Load())
}

// PastOf decodes a stored row into what counters read; ok is false for a
// row without a report (it counts for nothing) or one that cannot be
// decoded.
func PastOf(r *audit.ReplayRow) (engine.PastDecision, bool) { return pastOf(r, readFull, nil) }

// pastOf is PastOf as mode reads: with readScalars the report's check
// groups are skipped (report.DecodeScalars), with readLean the report is the
// user_id of the row's column (LeanCounterRows read no report), with
// readColumns it is rebuilt from the row's user_id, risk_score and checks
// columns (report.FromColumns), or decoded whole for a row without them.
func pastOf(r *audit.ReplayRow, mode reading, ctxs *contextDecoder) (engine.PastDecision, bool) {
	if r.ReportStatus != report.StatusOK {
		return engine.PastDecision{}, false
	}
	var rep *report.Report
	switch {
	case mode == readLean && r.ReportOmitted:
		rep = &report.Report{UserID: r.UserID}
	case mode == readColumns && r.ReportOmitted && r.RiskScore != nil:
		var err error
		if rep, err = report.FromColumns(r.UserID, *r.RiskScore, r.CheckCodes); err != nil {
			return engine.PastDecision{}, false // a damaged column: verify says where
		}
	case len(r.Report) == 0:
		return engine.PastDecision{}, false
	default:
		decode := report.DecodeOwned // the row is ours: no copy of the bytes
		if mode == readScalars {
			decode = report.DecodeScalars
		}
		var err error
		if rep, err = decode(r.Report); err != nil {
			return engine.PastDecision{}, false
		}
	}
	p := engine.PastDecision{Outcome: r.Outcome, Report: rep, DecidedAt: r.DecidedAt}
	if len(r.FiredRules) > 0 && string(r.FiredRules) != "[]" && decodeJSON(r.FiredRules, &p.FiredRules) != nil {
		return engine.PastDecision{}, false
	}
	if len(r.Context) > 0 && string(r.Context) != "null" {
		var err error
		if p.Context, err = ctxs.decode(r.Context); err != nil {
			return engine.PastDecision{}, false
		}
	}
	return p, true
}

// decodeJSON decodes a stored context or fired-rule list with json v2, as
// the API decoded the request (about twice as fast as encoding/json here),
// and with encoding/json when v2 refuses it: a row stored before the API
// refused duplicate names decodes as it did then.
func decodeJSON(data []byte, v any) error {
	if jsonv2.Unmarshal(data, v) == nil {
		return nil
	}
	return json.Unmarshal(data, v)
}

// History builds, from the log, every counter of set as of any time in
// [since, until): the decisions of [since − window, until) are all kept.
// It is what replay reads for a candidate's counter the stored decisions
// did not read.
func History(ctx context.Context, set *engine.Set, src audit.RowSource, since, until time.Time) (*Counters, error) {
	c := New(Config{KeepAll: true})
	var window time.Duration
	var fresh []*state
	for _, d := range set.Counters() {
		if c.states[d.Definition] != nil {
			continue
		}
		st := c.newState(d)
		c.states[d.Definition] = st
		fresh = append(fresh, st)
		window = max(window, d.Window)
	}
	c.relist()
	if len(fresh) == 0 {
		return c, nil
	}
	obs := newBatchObserver(fresh)
	err := feed(ctx, src, since.Add(-window), until, readingFor(fresh, src), func(batch []decoded) {
		for i := range batch {
			batch[i].id = "" // every event is kept: no id to count once
		}
		obs.observe(batch, math.MinInt64)
	}, func(int64) error { return nil })
	if err != nil {
		return nil, fmt.Errorf("build counters %s from the decision log: %w", since.Format(time.RFC3339), err)
	}
	return c, nil
}
