package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/api"
)

// deadlineRecorder notes whether the decision log's calls come with a
// deadline: POST /v1/decisions runs without the request-timeout context, so
// each of its waits must bound itself, the Idempotency-Key lookup included.
type deadlineRecorder struct {
	mu                      sync.Mutex
	lookups, lookupDeadline int
}

func (r *deadlineRecorder) Lookup(ctx context.Context, _, _ string, _ []byte) ([]byte, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups++
	if _, ok := ctx.Deadline(); ok {
		r.lookupDeadline++
	}
	return nil, false, nil
}

func (r *deadlineRecorder) Record(context.Context, *api.DecisionRecord) error { return nil }

func TestIdempotencyLookupHasDeadline(t *testing.T) {
	rec := &deadlineRecorder{}
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", recorder: rec, reqTimeout: time.Minute})
	res := h.do(req{method: "POST", path: "/v1/decisions", key: keyCheckout, ctype: "application/json",
		body: `{"session_id":"t-allow"}`, header: map[string]string{"Idempotency-Key": "order-1"}})
	res.decision(t)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.lookups != 1 || rec.lookupDeadline != 1 {
		t.Fatalf("%d lookups, %d with a deadline: a stuck decision log would hold the checkout past the request timeout", rec.lookups, rec.lookupDeadline)
	}
}
