package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
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
}

type chainState struct {
	seq       int64
	hash      []byte
	legacySeq int64 // the last trace from before the chain, 0 for none
	chained   bool
	lastID    string
}

// Verify recomputes the hash chain of every trace in l (see ChainRow) and
// returns the first break, or how many traces it verified. The stored
// checkpoints anchor chains whose start retention removed; opts.Checkpoints
// are checked against the chain too. An error is returned only when the log
// cannot be read.
func Verify(ctx context.Context, l CheckpointLog, opts VerifyOptions) (VerifyResult, error) {
	stored, err := l.Checkpoints(ctx)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verify: read checkpoints: %w", err)
	}
	anchors := map[string]map[int64][]byte{} // chain, seq -> hash, from retention checkpoints
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
	want := map[string]map[int64]string{} // trusted checkpoints, chain, seq -> hash
	for _, c := range opts.Checkpoints {
		if want[c.Chain] == nil {
			want[c.Chain] = map[int64]string{}
		}
		want[c.Chain][c.Seq] = c.Hash
	}
	ranged := !opts.Since.IsZero() || !opts.Until.IsZero()
	var res VerifyResult
	states := map[string]*chainState{}
	h := NewChainHasher()
	stop := errors.New("stop")
	check := func(r *ChainRow) error {
		st := states[r.Chain]
		if st == nil {
			st = &chainState{}
			states[r.Chain] = st
			res.Chains++
		}
		brk := func(format string, args ...any) error {
			res.Break = &Break{Chain: r.Chain, Seq: r.Seq, ID: r.ID, What: fmt.Sprintf(format, args...)}
			return stop
		}
		if r.Hash == nil {
			if st.chained {
				return brk("the trace has no hash, though the traces before it are chained: its hash was removed")
			}
			res.Legacy++
			st.legacySeq, st.seq, st.lastID = r.Seq, r.Seq, r.ID
			return nil
		}
		if len(r.Prev) != HashSize || len(r.Hash) != HashSize {
			return brk("the stored hash or link is not %d bytes", HashSize)
		}
		if got := h.Hash(r.Prev, r); !bytes.Equal(got, r.Hash) {
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
		case anchors[r.Chain] != nil && bytes.Equal(anchors[r.Chain][r.Seq-1], r.Prev):
			res.Anchors++
		case ranged:
			// linked to a trace before the range, not read
		case st.seq != 0 && r.Seq != st.seq+1:
			return brk("traces with seq %d to %d are missing after decision %s (deleted)", st.seq+1, r.Seq-1, st.lastID)
		default:
			return brk("the chain's first %d traces are missing and no retention checkpoint sums them up (deleted)", r.Seq-1)
		}
		if w, ok := want[r.Chain][r.Seq]; ok && w != hex.EncodeToString(r.Hash) {
			return brk("the hash differs from the trusted checkpoint's (%s): the chain up to here was rewritten", w)
		}
		st.chained, st.seq, st.lastID = true, r.Seq, r.ID
		st.hash = append(st.hash[:0], r.Hash...)
		res.Verified++
		return nil
	}
	err = pipeRows(ctx, l, opts.Since, opts.Until, check)
	if err != nil && !errors.Is(err, stop) {
		return res, fmt.Errorf("verify: %w", err)
	}
	if res.Break != nil || ranged {
		return res, nil
	}
	for _, c := range opts.Checkpoints {
		st := states[c.Chain]
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

// verifyBatch is how many rows the reader hands the checker at once.
const verifyBatch = 256

// pipeRows reads the chain rows on one goroutine and checks them with
// check on another, so reading (the database) and hashing use two cores;
// row buffers go round between the two and are reused.
func pipeRows(ctx context.Context, l CheckpointLog, since, until time.Time, check func(*ChainRow) error) error {
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
	readErr := l.ChainRows(ctx, since, until, func(r *ChainRow) error {
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
