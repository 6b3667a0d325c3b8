package api_test

import (
	"os"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/engine"
)

// TestValidateUnderConfiguredLimits: POST /v1/policies/validate loads a
// draft under the server's policy limits (policy_limits in the
// configuration), not the engine's defaults: the shipped policy is valid
// under the defaults and refused, at a rule, under a cost limit of 10.
func TestValidateUnderConfiguredLimits(t *testing.T) {
	shipped, err := os.ReadFile("../rules/checkout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		limits engine.Limits
		valid  bool
	}{
		{"defaults", engine.Limits{}, true},
		{"cost limit of 10", engine.Limits{Cost: 10}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", limits: tc.limits, quiet: true})
			res := h.do(req{method: "POST", path: "/v1/policies/validate?file=checkout.yaml", key: keyOps, ctype: "application/yaml", body: string(shipped)})
			m := res.json(t)
			if res.status != 200 || m["valid"] != tc.valid {
				t.Fatalf("got %d %s", res.status, res.body)
			}
			if !tc.valid && !strings.Contains(string(res.body), `"code":"cost"`) {
				t.Fatalf("refused without a cost error: %s", res.body)
			}
		})
	}
}

// TestValidateUnderCounterBudget: POST /v1/policies/validate refuses a draft
// whose counters cannot fit the server's counter budget (counters in the
// configuration), naming the counter: the shipped account policy's two
// counters fit the default, not a budget of one key at a cap of 100.
func TestValidateUnderCounterBudget(t *testing.T) {
	shipped, err := os.ReadFile("../rules/account.yaml")
	if err != nil {
		t.Fatal(err)
	}
	oneKey := int64(100*engine.CounterEventBytes + engine.CounterKeyBytes)
	cases := []struct {
		name    string
		limits  engine.Limits
		counter string // the counter refused; "" when valid
	}{
		{"defaults", engine.Limits{}, ""},
		{"two keys", engine.Limits{CounterBytes: 2 * oneKey, CounterEventsPerKey: 100}, ""},
		{"one key", engine.Limits{CounterBytes: oneKey, CounterEventsPerKey: 100}, "user_denials_7d"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", limits: tc.limits, quiet: true})
			res := h.do(req{method: "POST", path: "/v1/policies/validate?file=account.yaml", key: keyOps, ctype: "application/yaml", body: string(shipped)})
			m := res.json(t)
			if res.status != 200 || m["valid"] != (tc.counter == "") {
				t.Fatalf("got %d %s", res.status, res.body)
			}
			if tc.counter != "" && (!strings.Contains(string(res.body), `"code":"limit"`) ||
				!strings.Contains(string(res.body), `counter \"`+tc.counter+`\" does not fit the counters' memory budget`)) {
				t.Fatalf("refused without a limit error naming %s: %s", tc.counter, res.body)
			}
		})
	}
}
