package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// TestTwoReplicasOneIdempotencyKey: two verdict replicas, each with its own
// connection pool and chains, share one PostgreSQL log. The same
// Idempotency-Key sent to both at once gives one decision, answered alike
// by both; every other request is its own decision; and verify passes over
// the shared log (one chain per writer of each replica).
func TestTwoReplicasOneIdempotencyKey(t *testing.T) {
	base := audittest.RequirePostgres(t)
	url := audittest.PostgresSchema(t, base)
	replicas := make([]*harness, 2)
	stores := make([]audit.Store, 2)
	for i := range replicas {
		stores[i] = openLog(t, url)
		replicas[i] = newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: stores[i], quiet: true})
	}
	const rounds = 20
	for k := range rounds {
		var wg sync.WaitGroup
		answers := make([]*result, 2)
		for i, h := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i], _ = h.send(req{method: "POST", path: "/v1/decisions", key: keyCheckout, ctype: "application/json",
					body: `{"session_id":"t-review"}`, header: map[string]string{"Idempotency-Key": fmt.Sprintf("order-%d", k)}})
			}()
		}
		wg.Wait()
		for i, a := range answers {
			if a.status != 200 {
				t.Fatalf("round %d replica %d: %d %s", k, i, a.status, a.body)
			}
		}
		if string(answers[0].body) != string(answers[1].body) {
			t.Fatalf("round %d: the two replicas answered differently:\n%s\n%s", k, answers[0].body, answers[1].body)
		}
	}
	for _, h := range replicas { // and decisions without a key, on both
		for range 5 {
			if r, _ := h.send(req{method: "POST", path: "/v1/decisions", key: keyCheckout, ctype: "application/json", body: `{"session_id":"t-deny"}`}); r.status != 200 {
				t.Fatalf("decide: %d %s", r.status, r.body)
			}
		}
	}
	rs := stores[0].(audit.RowSource)
	n, err := rs.Count(context.Background(), time.Time{}, time.Now().Add(time.Hour))
	if err != nil || n != rounds+10 {
		t.Fatalf("the shared log holds %d traces, %v; want %d (one per idempotency key, plus 10)", n, err, rounds+10)
	}
	res, err := audit.Verify(context.Background(), stores[1].(audit.CheckpointLog), audit.VerifyOptions{})
	if err != nil || res.Break != nil || res.Verified != int64(n) || res.Chains < 2 {
		t.Fatalf("verify over the shared log: %+v (break %v), %v", res, res.Break, err)
	}
}
