package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/internal/syncbuf"
)

// TestDemoRunsAccountPolicy: the demo (no configuration but the shipped
// rules and the simulator's reports, as `go run ./cmd/verdict serve` from
// the repository) serves sessions tagged account-checkout, so the shipped
// rules/account.yaml runs with its lists and counters: every decision reads
// them (the trace's memory), a trusted customer reads the file-backed list,
// and a customer's denials count, so the fourth in a week fires
// repeat-offender.
func TestDemoRunsAccountPolicy(t *testing.T) {
	cfg := testConfigFrom(t, map[string]string{
		"VERDICT_DATABASE_URL":     filepath.Join(t.TempDir(), "verdict.db"),
		"VERDICT_LISTEN_ADDR":      "127.0.0.1:0",
		"VERDICT_RULES_DIR":        "../../rules",
		"VERDICT_DEMO_REPORTS_DIR": "../../testdata/reports",
		"VERDICT_RELOAD_WATCH":     "false",
	})
	if !cfg.DemoKeyInUse() {
		t.Fatal("not the demo configuration")
	}
	a, err := newApp(cfg, newLogger(cfg.Log, &syncbuf.Buffer{}, false))
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	runErr := make(chan error, 1)
	go func() { runErr <- a.run(ctx, nil, func(addr string) { addrc <- addr }) }()
	addr := <-addrc
	defer func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	type answer struct {
		DecisionID string `json:"decision_id"`
		Outcome    string `json:"outcome"`
		Policy     struct {
			Name string `json:"name"`
		} `json:"policy"`
		FiredRules []struct {
			ID string `json:"id"`
		} `json:"fired_rules"`
	}
	decide := func(session string) answer {
		t.Helper()
		body := `{"session_id":"` + session + `","context":{"amount":40,"card_fingerprint":"card-demo-1","ip":"198.51.100.7"}}`
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/decisions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+cfg.Keys()[0].Secret.Reveal())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a answer
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&a) != nil {
			t.Fatalf("POST /v1/decisions %s: %d", session, resp.StatusCode)
		}
		return a
	}
	fired := func(a answer) []string {
		var ids []string
		for _, f := range a.FiredRules {
			ids = append(ids, f.ID)
		}
		return ids
	}
	cases := []struct {
		session, outcome string
		fired            []string
	}{
		{"demo-account-allow", "allow", nil},
		{"demo-account-trusted", "review", []string{"high-risk-trusted"}}, // on the file-backed trusted_users
		{"demo-account-deny", "deny", []string{"high-risk-score"}},
		{"demo-account-deny", "deny", []string{"high-risk-score"}},
		{"demo-account-deny", "deny", []string{"high-risk-score"}},
		{"demo-account-deny", "deny", []string{"repeat-offender", "high-risk-score"}}, // three denials counted
	}
	for i, tc := range cases {
		got := decide(tc.session)
		if got.Policy.Name != "account-checkout" || got.Outcome != tc.outcome || !sameSet(fired(got), tc.fired) {
			t.Fatalf("decision %d (%s): policy %s, %s, fired %v; want account-checkout, %s, fired %v",
				i, tc.session, got.Policy.Name, got.Outcome, fired(got), tc.outcome, tc.fired)
		}
		tr, err := a.store.Get(context.Background(), got.DecisionID)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Memory == nil || len(tr.Memory.Counters) != 2 || len(tr.Memory.Lists) == 0 {
			t.Fatalf("decision %d (%s): trace memory %+v, want the lists and both counters read", i, tc.session, tr.Memory)
		}
	}
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
