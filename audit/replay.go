package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// Decider decides one stored decision again with candidate policies. The
// decision package builds the real one (decision.ReplayDecider) from the
// pipeline that serves, so replay cannot drift from serve; audit does not
// import it.
type Decider func(in ReplayInput) engine.Decision

// ReplayInput is what a stored decision hands a Decider: the same facts the
// service decided over, at the same time.
type ReplayInput struct {
	ID        string         // the stored decision's id
	DecidedAt time.Time      // the stored decided_at: the time now() returns
	Tags      []string       // the session's tags as stored (the report's when none were)
	Report    *report.Report // the stored report, decoded
	Context   map[string]any // the caller's context as stored; nil when absent
	// Memory is what the stored decision read from lists and counters (its
	// trace's memory); nil when it read none.
	Memory *engine.Memory
}

// ReplayOptions choose what Replay reads and how.
type ReplayOptions struct {
	Since, Until time.Time // decided_at in [Since, Until); zero: open
	// Workers decoding and evaluating in parallel (default GOMAXPROCS).
	Workers int
	// SamplesPerTransition caps the sample changed decisions kept for each
	// (stored, candidate) outcome pair, earliest first (default 5).
	SamplesPerTransition int
	// Progress, when set, is called about every 100 ms with the traces done
	// so far and the total (-1 when the store cannot count).
	Progress func(done, total int64)
}

// replayRowOf builds a ReplayRow from a decoded trace, for stores that are
// not a RowSource.
func replayRowOf(t *Trace) (*ReplayRow, error) {
	row, err := EncodeRow(t, t.DecidedAt)
	if err != nil {
		return nil, err
	}
	var mem []byte
	if t.Memory != nil {
		if mem, err = json.Marshal(t.Memory); err != nil {
			return nil, fmt.Errorf("encode memory of trace %s: %w", t.ID, err)
		}
	}
	return &ReplayRow{ID: t.ID, DecidedAt: t.DecidedAt, SessionID: t.SessionID, Tags: row.Tags,
		Context: row.Context, ReportStatus: t.ReportStatus, Policy: t.Policy, Outcome: t.PolicyOutcome(),
		FiredRules: row.FiredRules, Report: t.Report, Memory: mem}, nil
}

// Replay re-decides the stored decisions of a time window with a candidate
// Decider and tallies how outcomes and rule fires would have moved. It only
// reads the store. Traces whose report was not had ("ok") cannot be decided
// again and are counted apart, by report status.
func Replay(ctx context.Context, s Store, decide Decider, opts ReplayOptions) (*ReplayReport, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	samples := opts.SamplesPerTransition
	if samples <= 0 {
		samples = 5
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	total := int64(-1)
	rs, raw := s.(RowSource)
	if raw && opts.Progress != nil {
		n, err := rs.Count(ctx, opts.Since, opts.Until)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		total = n
	}

	var labels map[string]string
	if ls, ok := s.(LabelSource); ok {
		var err error
		if labels, err = ls.LabelsInForce(ctx, opts.Since, opts.Until); err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
	}

	start := time.Now()
	const chunk = 64
	rows := make(chan []*ReplayRow, workers*4)
	var done atomic.Int64
	tallies := make([]*tally, workers)
	var wg sync.WaitGroup
	for w := range workers {
		tallies[w] = newTally(samples)
		if len(labels) > 0 { // no labelled decision in the window: no label section
			tallies[w].labels = newLabelTally(labels)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range rows {
				for _, r := range batch {
					tallies[w].add(r, decide)
				}
				done.Add(int64(len(batch)))
			}
		}()
	}

	stopProgress := make(chan struct{})
	var progressDone sync.WaitGroup
	if opts.Progress != nil {
		progressDone.Add(1)
		go func() {
			defer progressDone.Done()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stopProgress:
					return
				case <-tick.C:
					opts.Progress(done.Load(), total)
				}
			}
		}()
	}

	batch := make([]*ReplayRow, 0, chunk)
	send := func(r *ReplayRow) error {
		batch = append(batch, r)
		if len(batch) < chunk {
			return nil
		}
		select {
		case rows <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		batch = make([]*ReplayRow, 0, chunk)
		return nil
	}
	var readErr error
	if raw {
		readErr = rs.ReplayRows(ctx, opts.Since, opts.Until, send)
	} else {
		readErr = s.Export(ctx, opts.Since, opts.Until, func(t *Trace) error {
			r, err := replayRowOf(t)
			if err != nil {
				return err
			}
			return send(r)
		})
	}
	if readErr == nil && len(batch) > 0 {
		select {
		case rows <- batch:
		case <-ctx.Done():
			readErr = ctx.Err()
		}
	}
	close(rows)
	wg.Wait()
	close(stopProgress)
	progressDone.Wait()
	if readErr != nil {
		return nil, fmt.Errorf("replay: read decision log: %w", readErr)
	}
	if opts.Progress != nil {
		opts.Progress(done.Load(), total)
	}
	for _, t := range tallies[1:] {
		tallies[0].merge(t)
	}
	rep := tallies[0].report()
	rep.Since, rep.Until = opts.Since, opts.Until
	rep.Elapsed = time.Since(start)
	rep.ElapsedSeconds = rep.Elapsed.Seconds()
	if secs := rep.Elapsed.Seconds(); secs > 0 {
		rep.PerSecond = float64(rep.Read) / secs
	}
	return rep, nil
}
