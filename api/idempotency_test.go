package api_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/verdicthq/verdict/api"
)

// idemRecorder is a decision log that keeps Idempotency-Keys in memory, as
// the real one does in its store: it exercises the seam, not a store.
type idemRecorder struct {
	mu      sync.Mutex
	answers map[string][]byte // key id + idempotency key -> answer
	bodies  map[string][]byte
	raceNow bool // make the next Record find a concurrent first decision
}

func (r *idemRecorder) Lookup(_ context.Context, keyID, idemKey string, body []byte) ([]byte, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := keyID + "\x00" + idemKey
	a, ok := r.answers[k]
	if !ok {
		return nil, false, nil
	}
	if !bytes.Equal(r.bodies[k], body) {
		return nil, false, fmt.Errorf("lookup %s: %w", idemKey, api.ErrIdempotencyConflict)
	}
	return a, true, nil
}

func (r *idemRecorder) Record(_ context.Context, rec *api.DecisionRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec.IdempotencyKey == "" {
		return nil
	}
	k := rec.KeyID + "\x00" + rec.IdempotencyKey
	if r.raceNow {
		r.raceNow = false
		return &api.ReplayError{Answer: []byte(`{"decision_id":"019ab7c4-6f5e-7c39-9a51-2b0e4f1d8a77","session_id":"t-allow","outcome":"allow","reason":"default","policy":{"name":"checkout","version":"x"},"fired_rules":[],"report_status":"ok","risk_score":12,"recommended_action":null,"decided_at":"2026-11-25T12:00:00Z"}`)}
	}
	r.answers[k], r.bodies[k] = rec.ResponseBody, rec.RequestBody
	return nil
}

func TestIdempotencySeam(t *testing.T) {
	rec := &idemRecorder{answers: map[string][]byte{}, bodies: map[string][]byte{}}
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", recorder: rec})
	call := func(key, idem, body string) *result {
		return h.do(req{method: "POST", path: "/v1/decisions", key: key, ctype: "application/json", body: body,
			header: map[string]string{"Idempotency-Key": idem}})
	}
	first := call(keyCheckout, "order-1", `{"session_id":"t-review"}`)
	d1 := first.decision(t)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a first decision is marked as a replay")
	}
	t.Run("retry gets the first decision", func(t *testing.T) {
		again := call(keyCheckout, "order-1", `{"session_id":"t-review"}`)
		if again.decision(t).DecisionID != d1.DecisionID || again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.body, first.body) {
			t.Fatalf("retry answered %s", again.body)
		}
	})
	t.Run("same key, other body: 409", func(t *testing.T) {
		res := call(keyCheckout, "order-1", `{"session_id":"t-deny"}`)
		if res.status != 409 || res.errorCode(t) != "idempotency_conflict" {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("keys are per caller", func(t *testing.T) {
		res := call(keyAll, "order-1", `{"session_id":"t-review"}`)
		if d := res.decision(t); d.DecisionID == d1.DecisionID || res.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("another caller got the first caller's decision")
		}
	})
	t.Run("a concurrent first decision wins", func(t *testing.T) {
		rec.mu.Lock()
		rec.raceNow = true
		rec.mu.Unlock()
		res := call(keyCheckout, "order-2", `{"session_id":"t-allow"}`)
		if d := res.decision(t); d.DecisionID != "019ab7c4-6f5e-7c39-9a51-2b0e4f1d8a77" || res.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("got %s", res.body)
		}
	})
}
