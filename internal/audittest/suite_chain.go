package audittest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// Exec runs one SQL statement directly on the database behind a log's URL,
// as someone editing the log behind verdict's back would.
type Exec func(t *testing.T, url, stmt string)

func chainLog(t *testing.T, s audit.Store) audit.CheckpointLog {
	t.Helper()
	l, ok := s.(audit.CheckpointLog)
	if !ok {
		t.Fatalf("%T is not an audit.CheckpointLog", s)
	}
	return l
}

// serialLog is a CheckpointLog without its ChainRanger: Verify reads it in
// one pass (ChainRows), as it reads a log that cannot read by seq range.
type serialLog struct{ audit.CheckpointLog }

// mustVerify verifies l in one serial pass (ChainRows), in parallel parts
// as Verify chooses them, and in parts of 3 traces (for logs that read by
// seq range), and fails unless all say the same.
func mustVerify(t *testing.T, l audit.CheckpointLog, opts audit.VerifyOptions) audit.VerifyResult {
	t.Helper()
	res, err := audit.Verify(context.Background(), l, opts)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	serial, err := audit.Verify(context.Background(), serialLog{l}, opts)
	if err != nil {
		t.Fatalf("verify in one pass: %v", err)
	}
	if fmt.Sprint(serial.Verified, serial.Legacy, serial.Chains, serial.Anchors, serial.Break) !=
		fmt.Sprint(res.Verified, res.Legacy, res.Chains, res.Anchors, res.Break) {
		// a break found in a later part stops the count at that part
		if res.Break == nil || serial.Break == nil || *res.Break != *serial.Break {
			t.Fatalf("verify in one pass says %+v (break %v); in parts %+v (break %v)", serial, serial.Break, res, res.Break)
		}
	}
	opts.PartSize = 3
	parts, err := audit.Verify(context.Background(), l, opts)
	if err != nil {
		t.Fatalf("verify in parts: %v", err)
	}
	if fmt.Sprint(parts.Verified, parts.Legacy, parts.Chains, parts.Anchors, parts.Break) !=
		fmt.Sprint(res.Verified, res.Legacy, res.Chains, res.Anchors, res.Break) {
		// a break found in a later part stops the count at that part
		if res.Break == nil || parts.Break == nil || *res.Break != *parts.Break {
			t.Fatalf("verify in parts of 3 says %+v (break %v); at once %+v (break %v)", parts, parts.Break, res, res.Break)
		}
	}
	return res
}

func testChain(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	l := chainLog(t, s)
	seed(t, s, 10)
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Append(context.Background(), SampleTrace(10+i)); err != nil {
				t.Errorf("append: %v", err)
			}
		}()
	}
	wg.Wait()
	// a conflict consumes no place in the chain
	dup := SampleTrace(50)
	MustAppend(t, s, dup)
	again := SampleTraceWithID(51, dup.ID)
	if err := s.Append(context.Background(), again); !errors.Is(err, audit.ErrConflict) {
		t.Fatalf("append of a known id: %v", err)
	}
	res := mustVerify(t, l, audit.VerifyOptions{})
	if res.Break != nil || res.Verified != 41 || res.Legacy != 0 {
		t.Fatalf("verify of an untouched log: %+v (break %v); want 41 verified", res, res.Break)
	}
	ranged := mustVerify(t, l, audit.VerifyOptions{Since: Base.Add(5 * time.Second), Until: Base.Add(20 * time.Second)})
	if ranged.Break != nil || ranged.Verified < 15 || ranged.Verified > 41 {
		t.Fatalf("verify of [5s, 20s): %+v; want the 15 and the chain between them verified", ranged)
	}
}

// testChainConflicts appends, all at once, twenty retries carrying one
// idempotency key among twenty other decisions, so that batches hold
// conflicting traces beside new ones: one retry and the twenty others are
// stored and the chain verifies over exactly them.
func testChainConflicts(t *testing.T, newURL NewURL) {
	s := MustOpen(t, newURL(t), audit.Options{})
	l := chainLog(t, s)
	var stored, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := SampleTrace(200 + i)
			if i%2 == 0 {
				tr.KeyID, tr.IdempotencyKey = "key-chain", "order-chain"
			}
			switch err := s.Append(context.Background(), tr); {
			case err == nil:
				stored.Add(1)
			case errors.Is(err, audit.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("append %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if stored.Load() != 21 || conflicts.Load() != 19 {
		t.Fatalf("%d stored, %d conflicts; want 21 and 19", stored.Load(), conflicts.Load())
	}
	if res := mustVerify(t, l, audit.VerifyOptions{}); res.Break != nil || res.Verified != 21 {
		t.Fatalf("verify: %+v (break %v); want 21 verified", res, res.Break)
	}
}

func testCheckpoints(t *testing.T, newURL NewURL) {
	ctx := context.Background()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	s := MustOpen(t, newURL(t), audit.Options{CheckpointKey: key})
	l := chainLog(t, s)
	seed(t, s, 40)
	cps, err := audit.WriteCheckpoint(ctx, l, key, "periodic", time.Now())
	if err != nil || len(cps) == 0 {
		t.Fatalf("checkpoint: %v, %v", cps, err)
	}
	stored, err := l.Checkpoints(ctx)
	if err != nil || len(stored) != len(cps) {
		t.Fatalf("stored checkpoints: %v, %v", stored, err)
	}
	for _, c := range stored {
		if err := c.VerifySignature(key.Public().(ed25519.PublicKey)); err != nil {
			t.Fatalf("stored checkpoint: %v", err)
		}
		other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32))
		if err := c.VerifySignature(other.Public().(ed25519.PublicKey)); err == nil {
			t.Fatal("a checkpoint verifies with another key")
		}
		forged := c
		forged.Seq--
		if err := forged.VerifySignature(key.Public().(ed25519.PublicKey)); err == nil {
			t.Fatal("a checkpoint with a changed seq still verifies")
		}
	}
	if res := mustVerify(t, l, audit.VerifyOptions{Checkpoints: stored}); res.Break != nil || res.Verified != 40 {
		t.Fatalf("verify against its own checkpoints: %+v, %v", res, res.Break)
	}
	// Retention removes the first 25 and sums them up in a checkpoint.
	if n, err := s.Prune(ctx, Base.Add(25*time.Second)); err != nil || n != 25 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	res := mustVerify(t, l, audit.VerifyOptions{Checkpoints: stored})
	if res.Break != nil || res.Verified != 15 || res.Anchors < 1 {
		t.Fatalf("verify after retention: %+v (break %v); want 15 verified, anchored", res, res.Break)
	}
	after, _ := l.Checkpoints(ctx)
	var removed int64
	for _, c := range after {
		if c.Reason == "retention" {
			removed += c.Removed
			if err := c.VerifySignature(key.Public().(ed25519.PublicKey)); err != nil {
				t.Fatalf("retention checkpoint: %v", err)
			}
		}
	}
	if removed != 25 {
		t.Fatalf("retention checkpoints sum up %d traces, want 25", removed)
	}
}

func testPolicyVersions(t *testing.T, newURL NewURL) {
	ctx := context.Background()
	s := MustOpen(t, newURL(t), audit.Options{})
	pl, ok := s.(audit.PolicyLog)
	if !ok {
		t.Fatalf("%T is not an audit.PolicyLog", s)
	}
	src := []byte("name: checkout\ndefault: allow\n# trailing bytes kept exactly \x00\xff\r\n")
	sum := sha256.Sum256(src)
	v := audit.PolicyVersion{Version: hex.EncodeToString(sum[:]), Name: "checkout", File: "rules/checkout.yaml", Source: src}
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	acts := []audit.Activation{
		{At: at, Mode: "live", Trigger: "start"},
		{At: at.Add(time.Hour), Mode: "live", Trigger: "api", KeyID: "ops-key"},
	}
	for _, a := range acts {
		if err := pl.RecordPolicy(ctx, v, a); err != nil {
			t.Fatalf("record: %v", err)
		}
	}
	got, err := pl.PolicyVersion(ctx, v.Version)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got.Source, src) || got.Name != "checkout" || got.File != v.File || !got.Stored.Equal(at) {
		t.Fatalf("read back %q %s %s %v", got.Source, got.Name, got.File, got.Stored)
	}
	if len(got.Activations) != 2 || got.Activations[1].KeyID != "ops-key" || got.Activations[1].Trigger != "api" || !got.Activations[0].At.Equal(at) {
		t.Fatalf("activations: %+v", got.Activations)
	}
	bad := v
	bad.Source = append([]byte("x"), src...)
	if err := pl.RecordPolicy(ctx, bad, acts[0]); !errors.Is(err, audit.ErrInvalid) {
		t.Fatalf("record of a source that does not hash to its version: %v", err)
	}
	if _, err := pl.PolicyVersion(ctx, strings.Repeat("0", 64)); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("unknown version: %v", err)
	}
}

// RunTamper edits a log directly with exec and checks that Verify finds
// each edit at exactly the decision edited (or, for a removed trace, at the
// place it was removed from).
func RunTamper(t *testing.T, newURL NewURL, exec Exec) {
	type chainPos struct {
		chain string
		seq   int64
	}
	setup := func(t *testing.T) (string, audit.CheckpointLog, []*audit.Trace, map[string]chainPos) {
		url := newURL(t)
		s := MustOpen(t, url, audit.Options{})
		traces := seed(t, s, 12)
		pos := map[string]chainPos{}
		l := chainLog(t, s)
		if err := l.ChainRows(context.Background(), time.Time{}, time.Time{}, func(r *audit.ChainRow) error {
			pos[r.ID] = chainPos{r.Chain, r.Seq}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return url, l, traces, pos
	}
	cases := []struct {
		name string
		edit func(id string) string
	}{
		{"outcome changed", func(id string) string { return fmt.Sprintf(`UPDATE traces SET outcome = 'allow' WHERE id = '%s'`, id) }},
		{"user changed", func(id string) string {
			return fmt.Sprintf(`UPDATE traces SET user_id = 'someone-else' WHERE id = '%s'`, id)
		}},
		{"session changed", func(id string) string {
			return fmt.Sprintf(`UPDATE traces SET session_id = session_id || 'x' WHERE id = '%s'`, id)
		}},
		{"hash recomputed by hand is still refused", func(id string) string {
			return fmt.Sprintf(`UPDATE traces SET hash = prev_hash WHERE id = '%s'`, id)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, l, traces, _ := setup(t)
			id := traces[7].ID
			if traces[7].Outcome == "allow" && strings.Contains(c.name, "outcome") {
				id = traces[8].ID
			}
			exec(t, url, c.edit(id))
			res := mustVerify(t, l, audit.VerifyOptions{})
			if res.Break == nil || res.Break.ID != id {
				t.Fatalf("verify after %s of %s: %+v, break %v", c.name, id, res, res.Break)
			}
		})
	}
	t.Run("row deleted", func(t *testing.T) {
		url, l, traces, pos := setup(t)
		gone := traces[5].ID
		exec(t, url, fmt.Sprintf(`DELETE FROM traces WHERE id = '%s'`, gone))
		res := mustVerify(t, l, audit.VerifyOptions{})
		p := pos[gone]
		if res.Break == nil || res.Break.Chain != p.chain || res.Break.Seq != p.seq+1 || !strings.Contains(res.Break.What, fmt.Sprintf("seq %d", p.seq)) {
			t.Fatalf("verify after deleting %s (chain %q seq %d): %+v, break %v", gone, p.chain, p.seq, res, res.Break)
		}
	})
	t.Run("first row deleted", func(t *testing.T) {
		url, l, _, pos := setup(t)
		var first string
		for id, p := range pos {
			if p.seq == 1 {
				first = id
			}
		}
		exec(t, url, fmt.Sprintf(`DELETE FROM traces WHERE id = '%s'`, first))
		if res := mustVerify(t, l, audit.VerifyOptions{}); res.Break == nil || res.Break.Seq != 2 {
			t.Fatalf("verify after deleting the chain's first trace: %+v, break %v", res, res.Break)
		}
	})
	t.Run("last rows deleted, caught by a checkpoint", func(t *testing.T) {
		url, l, _, pos := setup(t)
		cps, err := audit.WriteCheckpoint(context.Background(), l, nil, "periodic", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for id, p := range pos {
			if p.chain == cps[0].Chain && p.seq == cps[0].Seq {
				exec(t, url, fmt.Sprintf(`DELETE FROM traces WHERE id = '%s'`, id))
			}
		}
		if res := mustVerify(t, l, audit.VerifyOptions{}); res.Break != nil {
			t.Fatalf("without the checkpoint, a cut tail is not a break: %+v", res.Break)
		}
		if res := mustVerify(t, l, audit.VerifyOptions{Checkpoints: cps}); res.Break == nil || !strings.Contains(res.Break.What, "removed from its end") {
			t.Fatalf("verify against the checkpoint after cutting the tail: %+v, break %v", res, res.Break)
		}
	})
}
