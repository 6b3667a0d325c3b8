package audit

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// Decider decides one stored session again: the candidate policies picked by
// the session's tags, evaluated over the report and the caller's context.
type Decider func(tags []string, report *report.Report, context map[string]any) engine.Decision

// SetDecider decides with a loaded policy set: Select by tags, then Evaluate
// with the live policy (the shadow policy, if any, is not replayed).
func SetDecider(set *engine.Set) Decider {
	return func(tags []string, r *report.Report, ctx map[string]any) engine.Decision {
		live, _ := set.Select(tags)
		return live.Evaluate(engine.Facts{Report: r, Context: ctx})
	}
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
	return &ReplayRow{ID: t.ID, DecidedAt: t.DecidedAt, SessionID: t.SessionID, Tags: row.Tags,
		Context: row.Context, ReportStatus: t.ReportStatus, Policy: t.Policy, Outcome: t.PolicyOutcome(),
		FiredRules: row.FiredRules, Report: t.Report}, nil
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

	start := time.Now()
	const chunk = 64
	rows := make(chan []*ReplayRow, workers*4)
	var done atomic.Int64
	tallies := make([]*tally, workers)
	var wg sync.WaitGroup
	for w := range workers {
		tallies[w] = newTally(samples)
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
