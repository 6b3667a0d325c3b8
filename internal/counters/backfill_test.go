package counters_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/counters"
)

// policyWithCheck is the test policy with one more counter, which reads a
// check: a backfill of it decodes reports whole, not with DecodeScalars.
var policyWithCheck = strings.Replace(policy, "counters:\n",
	"counters:\n  user_vpn_24h: { key: user_id, window: 24h, where: device_checks.vpn != \"Detected\" }\n", 1)

// policyWithScore adds counters that read the report's risk_score, which
// SQLite keeps in a column (ReportColumnRows) and PostgreSQL reads from
// the report.
var policyWithScore = strings.Replace(policy, "counters:\n",
	"counters:\n  user_risky_1h: { key: user_id, window: 1h, where: risk_score >= 50 }\n  user_score_24h: { key: user_id, window: 24h, sum: risk_score }\n", 1)

// sortEvents puts events in decision order.
func sortEvents(evs []event) {
	slices.SortStableFunc(evs, func(a, b event) int { return cmp.Compare(a.at, b.at) })
}

// TestBackfillMatchesLive: counters built from the log (Install, the
// backfill a reload runs) read what counters that observed the same
// decisions as they were recorded read, for every counter and key, when
// the log holds the decisions in another order than they were decided
// (commit order is not decision order) and some are outside every window.
// It runs with and without a counter that reads a check (the two ways a
// backfill decodes reports), on SQLite and, with VERDICT_TEST_POSTGRES_URL,
// on PostgreSQL.
func TestBackfillMatchesLive(t *testing.T) {
	sets := []struct {
		name string
		src  string
	}{
		{"top-level fields only", policy},
		{"a counter reads a check", policyWithCheck},
		{"counters read risk_score", policyWithScore},
	}
	stores := []struct {
		name string
		open func(t *testing.T) audit.Store
	}{
		{"sqlite", func(t *testing.T) audit.Store {
			return audittest.MustOpen(t, filepath.Join(t.TempDir(), "d.db"), audit.Options{})
		}},
	}
	if audittest.PostgresURL() != "" {
		stores = append(stores, struct {
			name string
			open func(t *testing.T) audit.Store
		}{"postgres", func(t *testing.T) audit.Store {
			return audittest.MustOpen(t, audittest.PostgresSchema(t, audittest.RequirePostgres(t)), audit.Options{})
		}})
	}
	now := t0.Add(3 * time.Hour)
	rng := rand.New(rand.NewPCG(11, 13))
	var evs []event
	for i := range 400 {
		outcome := []engine.Outcome{engine.Allow, engine.Deny, engine.Review}[rng.IntN(3)]
		var fired []string
		if rng.IntN(4) == 0 {
			fired = []string{"big"}
		}
		// Over the last 26 hours: some outside the 1h and the 24h windows.
		at := now.Sub(t0) - time.Duration(rng.Int64N(int64(26*time.Hour)))
		evs = append(evs, event{user: fmt.Sprintf("u%d", rng.IntN(7)), card: fmt.Sprintf("c%d", rng.IntN(5)),
			amount: float64(rng.IntN(3000)), outcome: outcome, fired: fired, at: at + time.Duration(i)*time.Microsecond,
			score: 1 + rng.IntN(100), noColumn: rng.IntN(4) == 0}) // a quarter as stored before the risk_score column
	}
	for _, s := range sets {
		set, err := engine.LoadSources("rules", []engine.Source{{File: "rules/velocity.yaml", Data: []byte(s.src)}})
		if err != nil {
			t.Fatal(err)
		}
		for _, sto := range stores {
			t.Run(s.name+"/"+sto.name, func(t *testing.T) {
				store := sto.open(t)
				for _, e := range evs { // rng's order: not the decisions' order
					audittest.MustAppend(t, store, e.trace(t))
				}
				live := counters.New(counters.Config{})
				if err := live.Install(context.Background(), set, nil, t0, nil); err != nil {
					t.Fatal(err)
				}
				ordered := append([]event(nil), evs...)
				sortEvents(ordered)
				for _, e := range ordered {
					id, p := e.past(t)
					live.Observe(id, p)
				}
				built := counters.New(counters.Config{})
				if err := built.Install(context.Background(), set, store.(audit.RowSource), now, nil); err != nil {
					t.Fatal(err)
				}
				keys := map[string]bool{}
				for _, e := range evs {
					keys[e.user], keys[e.card] = true, true
				}
				compared, nonzero := 0, 0
				for _, d := range set.Counters() {
					for k := range keys {
						want, _ := live.Value(&d, k, now)
						got, ok := built.Value(&d, k, now)
						if !ok || got != want {
							t.Errorf("%s[%s]: backfilled %v (installed %v), observed live %v", d.Name, k, got, ok, want)
						}
						compared++
						if want != 0 {
							nonzero++
						}
					}
				}
				if nonzero < compared/3 {
					t.Fatalf("only %d of %d values are not 0: the comparison shows little", nonzero, compared)
				}
			})
		}
	}
}
