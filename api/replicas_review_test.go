package api_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/verdicthq/verdict/internal/audittest"
)

// TestTwoReplicasRaceToResolve: two verdict servers on one decision log
// (two stores on one PostgreSQL database, or on one SQLite file), each
// asked at once to resolve the same review: one 200, one 409.
func TestTwoReplicasRaceToResolve(t *testing.T) {
	urls := map[string]func(t *testing.T) string{"sqlite": func(t *testing.T) string { return filepath.Join(t.TempDir(), "verdict.db") }}
	if base := audittest.PostgresURL(); base != "" {
		urls["postgres"] = func(t *testing.T) string { return audittest.PostgresSchema(t, base) }
	}
	for name, newURL := range urls {
		t.Run(name, func(t *testing.T) {
			url := newURL(t)
			a := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: openLog(t, url)})
			b := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: openLog(t, url)})
			for round := range 5 {
				d := a.decide(`{"session_id":"t-review"}`).decision(t)
				path := "/v1/reviews/" + d.DecisionID + "/resolve"
				var wg sync.WaitGroup
				statuses := make([]int, 2)
				start := make(chan struct{})
				for i, h := range []*harness{a, b} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						statuses[i] = h.post(keyAnalyst, path, `{"outcome":"deny"}`).status
					}()
				}
				close(start)
				wg.Wait()
				if !(statuses[0] == 200 && statuses[1] == 409 || statuses[0] == 409 && statuses[1] == 200) {
					t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, statuses)
				}
			}
		})
	}
}
