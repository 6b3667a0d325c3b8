package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/internal/lists"
	"github.com/verdicthq/verdict/internal/memory"
)

const memoryPolicy = `name: memory
default: allow
on_error: review
lists:
  blocked_users: {}
counters:
  user_denials_1h: { key: user_id, window: 1h, where: outcome == "deny" }
rules:
  - { id: blocked-user, when: 'user_id in lists.blocked_users', action: deny }
  - { id: repeat-offender, when: 'counters.user_denials_1h >= 3', action: deny }
`

// TestDecisionsWithMemory: through POST /v1/decisions on a real SQLite log,
// a list change shows in the next decision, each recorded decision counts
// for the next, and the trace keeps every membership and counter value read.
func TestDecisionsWithMemory(t *testing.T) {
	rules := t.TempDir()
	if err := os.WriteFile(filepath.Join(rules, "memory.yaml"), []byte(memoryPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	store := audittest.MustOpen(t, filepath.Join(t.TempDir(), "d.db"), audit.Options{})
	ls := store.(audit.ListStore)
	set, err := engine.LoadDir(rules)
	if err != nil {
		t.Fatal(err)
	}
	mem := &memory.Memory{Lists: lists.NewMemory(), Counters: counters.New(counters.Config{})}
	if err := mem.Counters.Install(context.Background(), set, store.(audit.RowSource), set.LoadedAt(), nil); err != nil {
		t.Fatal(err)
	}
	svc := &lists.Service{Store: ls, Memory: mem.Lists, Declared: func() map[string]lists.Decl { return lists.DeclsOf(set) }}
	h := newHarness(t, harnessOpts{rules: rules, reports: filepath.Join("..", "testdata", "reports"), log: store, lists: svc, memory: mem})

	decide := func() (string, string) {
		t.Helper()
		res := h.decide(`{"session_id":"demo-allow"}`)
		var d struct {
			DecisionID string `json:"decision_id"`
			Outcome    string
			FiredRules []struct{ ID string } `json:"fired_rules"`
		}
		if err := jsonUnmarshal(res.body, &d); err != nil || res.status != 200 {
			t.Fatalf("decide: %d %s", res.status, res.body)
		}
		ids := []string{}
		for _, f := range d.FiredRules {
			ids = append(ids, f.ID)
		}
		return d.DecisionID, d.Outcome + ":" + strings.Join(ids, ",")
	}
	if _, got := decide(); got != "allow:" {
		t.Fatalf("before any list change: %s", got)
	}
	if res := h.do(req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"user-demo-allow"}`}); res.status != 201 {
		t.Fatalf("block: %d %s", res.status, res.body)
	}
	for i := range 3 {
		if _, got := decide(); got != "deny:blocked-user" && !(i == 2 && got == "deny:blocked-user,repeat-offender") {
			t.Fatalf("decision %d after blocking: %s", i, got)
		}
	}
	if res := h.do(req{method: "DELETE", path: "/v1/lists/blocked_users/items/user-demo-allow", key: keyAnalyst}); res.status != 204 {
		t.Fatalf("unblock: %d %s", res.status, res.body)
	}
	id, got := decide()
	if got != "deny:repeat-offender" {
		t.Fatalf("after three denials, unblocked: %s, want deny by repeat-offender", got)
	}
	tr, err := store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Memory == nil || len(tr.Memory.Counters) != 1 || tr.Memory.Counters[0].Value != 3 || tr.Memory.Counters[0].Key != "user-demo-allow" {
		t.Fatalf("trace memory %+v: want user_denials_1h = 3 for user-demo-allow", tr.Memory)
	}
	if len(tr.Memory.Lists) != 1 || tr.Memory.Lists[0].Member || tr.Memory.Lists[0].List != "blocked_users" {
		t.Fatalf("trace memory lists %+v: want blocked_users read, not a member", tr.Memory.Lists)
	}
	res := h.do(req{method: "GET", path: "/v1/decisions/" + id, key: keyAuditor})
	if res.status != 200 || !strings.Contains(string(res.body), `"memory"`) {
		t.Errorf("GET the decision: %d %s", res.status, res.body)
	}
}
