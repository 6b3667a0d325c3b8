package audit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// CommitFunc writes a batch of rows in one transaction. It sets errs[i] for a
// row that was refused on its own (ErrConflict) while the rest commit, and
// returns an error when the transaction as a whole failed: then no row is
// taken as stored.
type CommitFunc func(ctx context.Context, rows []*Row, errs []error) error

// Batcher is the group-commit writer the backends share: Submit queues a row
// and waits; writer goroutines take everything queued (up to a maximum) and
// commit it in one transaction, so concurrent appends share one durable
// commit (one fsync) instead of paying one each.
type Batcher struct {
	// Mask masks each trace Append encodes (nil: none). Set it before the
	// first Append.
	Mask *Mask

	commit   CommitFunc
	maxBatch int
	timeout  time.Duration

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan *pending
	wg     sync.WaitGroup
	health writeHealth // every commit's outcome, for CheckWrite

	commits, rows atomic.Int64 // committed batches and the rows they held, for Stats
}

type pending struct {
	row  *Row
	done chan error
}

// NewBatcher starts writers goroutines that commit batches of at most
// maxBatch rows, each commit bounded by timeout.
func NewBatcher(commit CommitFunc, maxBatch, writers int, timeout time.Duration) *Batcher {
	if maxBatch < 1 {
		maxBatch = 1
	}
	if writers < 1 {
		writers = 1
	}
	b := &Batcher{commit: commit, maxBatch: maxBatch, timeout: timeout,
		queue: make(chan *pending, maxBatch*writers*4)}
	b.wg.Add(writers)
	for range writers {
		go b.run()
	}
	return b
}

// Submit queues a row and returns once it is committed, or with the commit's
// error. If ctx ends first it returns ctx's error; the row may still commit.
func (b *Batcher) Submit(ctx context.Context, row *Row) error {
	p := &pending{row: row, done: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	select {
	case b.queue <- p:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return fmt.Errorf("queue trace %s: %w", row.Trace.ID, ctx.Err())
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("commit trace %s: %w", row.Trace.ID, ctx.Err())
	}
}

// CheckWrite returns nil when the log can write now, for readiness: a batch
// committed within WriteTrust and none failed since, or else probe (a small
// write of the store's own that commits durably, as a trace's would) succeeds.
// Otherwise it returns why, naming when writes began to fail. Probes run one
// at a time; a closed Batcher returns ErrClosed.
func (b *Batcher) CheckWrite(ctx context.Context, probe func(context.Context) error) error {
	b.mu.RLock()
	closed := b.closed
	b.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	return b.health.check(ctx, probe)
}

// Pending is how many rows wait for a writer: a gauge for metrics.
func (b *Batcher) Pending() int { return len(b.queue) }

// Close stops taking rows, commits every row already queued, and waits for
// the writers to finish.
func (b *Batcher) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// Stats returns how many batches were committed (or failed) and the rows
// they held: rows/commits is the mean batch size.
func (b *Batcher) Stats() (commits, rows int64) { return b.commits.Load(), b.rows.Load() }

func (b *Batcher) run() {
	defer b.wg.Done()
	batch := make([]*pending, 0, b.maxBatch)
	for first := range b.queue {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < b.maxBatch {
			select {
			case p, ok := <-b.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		b.flush(batch)
	}
}

func (b *Batcher) flush(batch []*pending) {
	rows := make([]*Row, len(batch))
	for i, p := range batch {
		rows[i] = p.row
	}
	errs := make([]error, len(batch))
	err := b.safeCommit(rows, errs)
	b.health.record(err)
	b.commits.Add(1)
	b.rows.Add(int64(len(rows)))
	for i, p := range batch {
		switch {
		case err != nil:
			p.done <- fmt.Errorf("commit batch of %d traces: %w", len(batch), err)
		default:
			p.done <- errs[i]
		}
	}
}

// safeCommit runs the commit with its timeout and turns a panic into an
// error for the batch, so a writer never dies and leaves callers waiting.
func (b *Batcher) safeCommit(rows []*Row, errs []error) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("commit panicked: %v", p)
		}
	}()
	return b.commit(ctx, rows, errs)
}
