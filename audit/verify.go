package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Break is the first place where the stored log is not the one written: the
// decision at which the chain breaks, and what differs.
type Break struct {
	Chain string `json:"chain"`
	Seq   int64  `json:"seq"`
	ID    string `json:"decision_id"`
	What  string `json:"what"`
}

func (b *Break) Error() string {
	return fmt.Sprintf("chain %q breaks at seq %d, decision %s: %s", b.Chain, b.Seq, b.ID, b.What)
}

// VerifyResult is what Verify found.
type VerifyResult struct {
	Verified int64 // traces whose hash and link were recomputed and matched
	Legacy   int64 // traces written before the chain (schema 1), not covered
	Chains   int   // chains seen
	// Anchors counts chains whose first trace in the log is tied, by a
	// retention checkpoint, to the traces retention removed.
	Anchors int
	Break   *Break // the first break; nil when the chain holds
}

// VerifyOptions narrow and strengthen Verify.
type VerifyOptions struct {
	// Since and Until limit the traces checked by decided_at (zero: open).
	// A chain's first trace in a limited range is linked to traces outside
	// it, which are not read.
	Since, Until time.Time
	// Checkpoints are checkpoints the caller trusts (e.g. read from an
	// exported file whose signatures it checked): each must match the trace
	// at its seq, and a chain must reach every checkpoint's seq.
	Checkpoints []Checkpoint
	// PartSize is how many traces of a chain one parallel part reads, for
	// logs that read by seq range (0: at least 2,000, up to 4 parts per core); tests set it small.
	PartSize int64
}

type chainState struct {
	seq       int64
	hash      []byte
	legacySeq int64 // the last trace from before the chain, 0 for none
	chained   bool
	lastID    string
	// Where this pass began in the chain (for stitching parallel parts).
	firstSeq    int64
	firstPrev   []byte
	firstID     string
	firstLegacy bool
}

// verifier checks rows in chain order: one per pass over a range of the log.
type verifier struct {
	anchors map[string]map[int64][]byte // retention checkpoints: chain, seq -> hash
	want    map[string]map[int64]string // trusted checkpoints: chain, seq -> hex hash
	// ranged: the pass starts inside a chain, whose earlier traces it does not read.
	ranged bool
	res    VerifyResult
	states map[string]*chainState
	order  []string // chains in the order seen
	h      *ChainHasher
}

var errStop = errors.New("stop")

func newVerifier(anchors map[string]map[int64][]byte, want map[string]map[int64]string, ranged bool) *verifier {
	return &verifier{anchors: anchors, want: want, ranged: ranged, states: map[string]*chainState{}, h: NewChainHasher()}
}

// check verifies one row; it returns errStop at the first break (in v.res.Break).
func (v *verifier) check(r *ChainRow) error {
	st := v.states[r.Chain]
	if st == nil {
		st = &chainState{firstSeq: r.Seq, firstID: r.ID, firstLegacy: r.Hash == nil}
		if r.Prev != nil {
			st.firstPrev = append([]byte(nil), r.Prev...)
		}
		v.states[r.Chain] = st
		v.order = append(v.order, r.Chain)
		v.res.Chains++
	}
	brk := func(format string, args ...any) error {
		v.res.Break = &Break{Chain: r.Chain, Seq: r.Seq, ID: r.ID, What: fmt.Sprintf(format, args...)}
		return errStop
	}
	if r.Hash == nil {
		if st.chained {
			return brk("the trace has no hash, though the traces before it are chained: its hash was removed")
		}
		v.res.Legacy++
		st.legacySeq, st.seq, st.lastID = r.Seq, r.Seq, r.ID
		return nil
	}
	if len(r.Prev) != HashSize || len(r.Hash) != HashSize {
		return brk("the stored hash or link is not %d bytes", HashSize)
	}
	if got := v.h.Hash(r.Prev, r); !bytes.Equal(got, r.Hash) {
		return brk("the stored trace is not the one written (its hash does not match its columns)%s", diagnose(r))
	}
	switch {
	case st.chained && r.Seq != st.seq+1:
		return brk("traces with seq %d to %d are missing between decision %s and this one (deleted)", st.seq+1, r.Seq-1, st.lastID)
	case st.chained && !bytes.Equal(r.Prev, st.hash):
		return brk("the trace does not link to decision %s before it (that one, or this link, was changed)", st.lastID)
	case st.chained:
	case bytes.Equal(r.Prev, ZeroHash) && (r.Seq == 1 || st.legacySeq == r.Seq-1):
		// the chain starts here
	case v.anchors[r.Chain] != nil && bytes.Equal(v.anchors[r.Chain][r.Seq-1], r.Prev):
		v.res.Anchors++
	case v.ranged:
		// linked to a trace before the range, not read
	case st.seq != 0 && r.Seq != st.seq+1:
		return brk("traces with seq %d to %d are missing after decision %s (deleted)", st.seq+1, r.Seq-1, st.lastID)
	default:
		return brk("the chain's first %d traces are missing and no retention checkpoint sums them up (deleted)", r.Seq-1)
	}
	if w, ok := v.want[r.Chain][r.Seq]; ok && w != hex.EncodeToString(r.Hash) {
		return brk("the hash differs from the trusted checkpoint's (%s): the chain up to here was rewritten", w)
	}
	st.chained, st.seq, st.lastID = true, r.Seq, r.ID
	st.hash = append(st.hash[:0], r.Hash...)
	v.res.Verified++
	return nil
}

// Verify recomputes the hash chain of every trace in l (see ChainRow) and
// returns the first break, or how many traces it verified. The stored
// checkpoints anchor chains whose start retention removed; opts.Checkpoints
// are checked against the chain too. An error is returned only when the log
// cannot be read. A log that can read a chain by seq ranges (ChainRanger)
// is verified in parallel parts, stitched together at their edges.
func Verify(ctx context.Context, l CheckpointLog, opts VerifyOptions) (VerifyResult, error) {
	stored, err := l.Checkpoints(ctx)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verify: read checkpoints: %w", err)
	}
	anchors := map[string]map[int64][]byte{}
	for _, c := range stored {
		if c.Reason != "retention" {
			continue
		}
		h, err := hex.DecodeString(c.Hash)
		if err != nil {
			return VerifyResult{}, fmt.Errorf("verify: stored checkpoint %s/%d: bad hash", c.Chain, c.Seq)
		}
		if anchors[c.Chain] == nil {
			anchors[c.Chain] = map[int64][]byte{}
		}
		anchors[c.Chain][c.Seq] = h
	}
	want := map[string]map[int64]string{}
	for _, c := range opts.Checkpoints {
		if want[c.Chain] == nil {
			want[c.Chain] = map[int64]string{}
		}
		want[c.Chain][c.Seq] = c.Hash
	}
	ranged := !opts.Since.IsZero() || !opts.Until.IsZero()
	var v *verifier
	if rg, ok := l.(ChainRanger); ok {
		v, err = verifyParts(ctx, rg, opts, anchors, want, ranged)
	} else {
		v = newVerifier(anchors, want, ranged)
		err = pipeRows(ctx, func(ctx context.Context, fn func(*ChainRow) error) error {
			return l.ChainRows(ctx, opts.Since, opts.Until, fn)
		}, v.check)
	}
	if err != nil && !errors.Is(err, errStop) {
		return v.res, fmt.Errorf("verify: %w", err)
	}
	res := v.res
	if res.Break != nil || ranged {
		return res, nil
	}
	for _, c := range opts.Checkpoints {
		st := v.states[c.Chain]
		if st == nil || st.seq < c.Seq {
			last := int64(0)
			if st != nil {
				last = st.seq
			}
			if a := anchors[c.Chain]; a != nil && a[c.Seq] != nil && hex.EncodeToString(a[c.Seq]) == c.Hash {
				continue // removed by retention and summed up
			}
			res.Break = &Break{Chain: c.Chain, Seq: c.Seq, ID: "", What: fmt.Sprintf(
				"the trusted checkpoint of %s says the chain reached seq %d, the log ends at %d: traces were removed from its end",
				c.At.Format(time.RFC3339), c.Seq, last)}
			return res, nil
		}
	}
	return res, nil
}

// ChainRanger is implemented by logs that can read one chain by a range of
// seq, so Verify reads and hashes parts of it at once (SQLite, PostgreSQL).
type ChainRanger interface {
	// ChainBounds returns each chain's first and last seq of the segment
	// ChainRows would read for [since, until).
	ChainBounds(ctx context.Context, since, until time.Time) ([]ChainBound, error)
	// ChainRange calls fn for the chain's traces with lo <= seq <= hi, in
	// seq order; the row and its slices are valid only until fn returns.
	ChainRange(ctx context.Context, chain string, lo, hi int64, fn func(*ChainRow) error) error
}

// ChainBound is a chain's seq range.
type ChainBound struct {
	Chain  string
	Lo, Hi int64
}

// minPart is the fewest traces worth a part of their own.
const minPart = 2000

// partsPerCore is how many parts each core gets by default: more parts than
// cores keep every core busy when one goroutine gets less CPU than another.
const partsPerCore = 4

// verifyParts verifies each chain in parts, two per GOMAXPROCS at once,
// and stitches them: a part's first trace must follow the previous part's
// last. Each part reads and checks its rows on one goroutine, on the
// row's own buffers (no copy, no hand-over between goroutines); a part
// that finds a break stops the parts after it, whose result can no longer
// matter.
func verifyParts(ctx context.Context, rg ChainRanger, opts VerifyOptions, anchors map[string]map[int64][]byte,
	want map[string]map[int64]string, ranged bool) (*verifier, error) {
	bounds, err := rg.ChainBounds(ctx, opts.Since, opts.Until)
	if err != nil {
		return newVerifier(anchors, want, ranged), err
	}
	type part struct {
		chain  string
		lo, hi int64
		v      *verifier
		err    error
		ctx    context.Context
		cancel context.CancelFunc
	}
	var parts []*part
	n := int64(runtime.GOMAXPROCS(0))
	for _, b := range bounds {
		partSize := opts.PartSize
		if partSize <= 0 {
			partSize = minPart
		}
		k := max(1, (b.Hi-b.Lo+1)/partSize)
		if opts.PartSize <= 0 {
			k = min(n*partsPerCore, k)
		}
		size := (b.Hi - b.Lo + k) / k
		for lo := b.Lo; lo <= b.Hi; lo += size {
			pctx, cancel := context.WithCancel(ctx)
			parts = append(parts, &part{chain: b.Chain, lo: lo, hi: min(lo+size-1, b.Hi),
				v: newVerifier(anchors, want, ranged || lo != b.Lo), ctx: pctx, cancel: cancel})
		}
	}
	defer func() {
		for _, p := range parts {
			p.cancel()
		}
	}()
	stopAfter := func(i int) { // a break in part i: the later parts cannot change the answer
		for _, p := range parts[i+1:] {
			p.cancel() // safe from any goroutine
		}
	}
	// Two parts a core in flight: a part that waits on its database (a
	// PostgreSQL server computing the next rows) leaves its core to another.
	sem := make(chan struct{}, 2*n)
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if p.ctx.Err() != nil {
				p.err = p.ctx.Err()
				return
			}
			p.err = rg.ChainRange(p.ctx, p.chain, p.lo, p.hi, p.v.check)
			if errors.Is(p.err, errStop) {
				stopAfter(i)
			}
		}()
	}
	wg.Wait()
	all := newVerifier(anchors, want, ranged)
	for i, p := range parts {
		if p.err != nil && !errors.Is(p.err, errStop) {
			return all, p.err
		}
		st := p.v.states[p.chain]
		if i > 0 && parts[i-1].chain == p.chain && st != nil {
			prev := all.states[p.chain]
			own := p.v.res.Break
			switch {
			case prev == nil:
			case own != nil && own.Seq == st.firstSeq:
				// the first trace is broken in itself: said as a single pass says it
			case st.firstSeq != prev.seq+1:
				all.res.Break = &Break{Chain: p.chain, Seq: st.firstSeq, ID: st.firstID, What: fmt.Sprintf(
					"traces with seq %d to %d are missing between decision %s and this one (deleted)", prev.seq+1, st.firstSeq-1, prev.lastID)}
			case !st.firstLegacy && prev.chained && !bytes.Equal(st.firstPrev, prev.hash):
				all.res.Break = &Break{Chain: p.chain, Seq: st.firstSeq, ID: st.firstID, What: fmt.Sprintf(
					"the trace does not link to decision %s before it (that one, or this link, was changed)", prev.lastID)}
			case st.firstLegacy && prev.chained:
				all.res.Break = &Break{Chain: p.chain, Seq: st.firstSeq, ID: st.firstID,
					What: "the trace has no hash, though the traces before it are chained: its hash was removed"}
			case !st.firstLegacy && !prev.chained && !bytes.Equal(st.firstPrev, ZeroHash):
				all.res.Break = &Break{Chain: p.chain, Seq: st.firstSeq, ID: st.firstID,
					What: "the first chained trace after the traces from before the chain does not start a chain"}
			}
			if all.res.Break != nil {
				return all, errStop
			}
		}
		all.res.Verified += p.v.res.Verified
		all.res.Legacy += p.v.res.Legacy
		all.res.Anchors += p.v.res.Anchors
		if all.states[p.chain] == nil {
			all.res.Chains++
		}
		if st != nil {
			all.states[p.chain] = st
		}
		if p.v.res.Break != nil {
			all.res.Break = p.v.res.Break
			return all, errStop
		}
	}
	return all, nil
}

// verifyBatch is how many rows the reader hands the checker at once.
const verifyBatch = 256

// pipeRows reads the chain rows on one goroutine and checks them with
// check on another, so reading (the database) and hashing use two cores;
// row buffers go round between the two and are reused.
func pipeRows(ctx context.Context, read func(context.Context, func(*ChainRow) error) error, check func(*ChainRow) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan []ChainRow, 4)
	free := make(chan []ChainRow, 5)
	for range 5 {
		free <- make([]ChainRow, 0, verifyBatch)
	}
	checked := make(chan error, 1)
	go func() {
		var err error
		for batch := range full {
			for i := 0; i < len(batch) && err == nil; i++ {
				err = check(&batch[i])
			}
			if err != nil {
				cancel() // stops the reader
			}
			free <- batch[:0]
		}
		checked <- err
	}()
	batch := <-free
	readErr := read(ctx, func(r *ChainRow) error {
		if len(batch) < cap(batch) {
			batch = batch[:len(batch)+1] // reuses the slot's buffers
		} else {
			batch = append(batch, ChainRow{})
		}
		copyRow(&batch[len(batch)-1], r)
		if len(batch) < verifyBatch {
			return nil
		}
		select {
		case full <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case batch = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	})
	if readErr == nil && len(batch) > 0 {
		full <- batch
	}
	close(full)
	if err := <-checked; err != nil {
		return err
	}
	return readErr
}

// copyRow copies src into dst, reusing dst's slices: the source's slices
// are valid only until ChainRows's fn returns.
func copyRow(dst, src *ChainRow) {
	tags, ctxb, fired, body, report, prev, hash := dst.Tags, dst.Context, dst.Fired, dst.Body, dst.Report, dst.Prev, dst.Hash
	idem := dst.IdempotencyKey
	*dst = *src
	dst.Tags = append(tags[:0], src.Tags...)
	dst.Fired = append(fired[:0], src.Fired...)
	dst.Body = append(body[:0], src.Body...)
	dst.Report = append(report[:0], src.Report...)
	dst.Context, dst.Prev, dst.Hash = nil, nil, nil
	if src.Context != nil {
		dst.Context = append(ctxb[:0], src.Context...)
	}
	if src.Prev != nil {
		dst.Prev = append(prev[:0], src.Prev...)
	}
	if src.Hash != nil {
		dst.Hash = append(hash[:0], src.Hash...)
	}
	if src.IdempotencyKey != nil {
		if idem == nil {
			idem = new(string)
		}
		*idem = *src.IdempotencyKey
		dst.IdempotencyKey = idem
	}
}

// diagnose says, for a trace whose hash does not match, which searchable
// columns disagree with its body (a column changed alone), when it can.
func diagnose(r *ChainRow) string {
	t, err := DecodeRow(r.Body, r.Report)
	if err != nil {
		return "; the body is not a trace any more"
	}
	var diffs []string
	check := func(col, stored, body string) {
		if stored != body {
			diffs = append(diffs, fmt.Sprintf("%s is %q, the body says %q", col, stored, body))
		}
	}
	check("outcome", r.Outcome, string(t.Outcome))
	check("session_id", r.SessionID, pgTextLike(t.SessionID, r.SessionID))
	check("user_id", r.UserID, pgTextLike(t.UserID, r.UserID))
	check("policy_version", r.PolicyVersion, t.Policy.Version)
	check("policy_outcome", r.PolicyOutcome, string(t.PolicyOutcome()))
	check("decided_at", time.UnixMicro(r.DecidedAt).UTC().Format(time.RFC3339Nano), t.DecidedAt.UTC().Format(time.RFC3339Nano))
	if len(diffs) == 0 {
		return "; the body, the report or the link was changed"
	}
	return "; " + fmt.Sprint(diffs)
}

// pgTextLike returns the body's value, unless the stored column is that
// value with NUL replaced (PostgreSQL's text columns), then the column.
func pgTextLike(body, stored string) string {
	if bytes.IndexByte([]byte(body), 0) >= 0 && stored == string(bytes.ReplaceAll([]byte(body), []byte{0}, []byte("\uFFFD"))) {
		return stored
	}
	return body
}
