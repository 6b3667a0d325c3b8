package api_test

import (
	"fmt"
	"testing"
)

func TestRulePerformanceAPI(t *testing.T) {
	for _, b := range logBackends() {
		t.Run(b.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: b.open(t)})
			d1 := h.decide(`{"session_id":"t-deny"}`).decision(t)
			d2 := h.decide(`{"session_id":"t-deny"}`).decision(t)
			h.decide(`{"session_id":"t-allow"}`).decision(t)
			rev := h.decide(`{"session_id":"t-review"}`).decision(t)
			if r := h.post(keyAnalyst, "/v1/labels", fmt.Sprintf(`{"labels":[{"decision_id":%q,"label":"fraud"},{"decision_id":%q,"label":"legitimate"}]}`, d1.DecisionID, d2.DecisionID)); r.status != 200 {
				t.Fatalf("labels: %d %s", r.status, r.body)
			}
			if r := h.post(keyAnalyst, "/v1/reviews/"+rev.DecisionID+"/resolve", `{"outcome":"deny"}`); r.status != 200 {
				t.Fatalf("resolve: %d %s", r.status, r.body)
			}
			got := decodeInto[struct {
				Decisions, Labels int64
				Rules             []struct {
					Policy          string   `json:"policy"`
					RuleID          string   `json:"rule_id"`
					Fires           int64    `json:"fires"`
					FiresFraud      int64    `json:"fires_fraud"`
					FiresLegitimate int64    `json:"fires_legitimate"`
					Precision       *float64 `json:"precision"`
					Recall          *float64 `json:"recall"`
				}
				Policies []struct {
					Policy        string
					LabelledFraud int64 `json:"labelled_fraud"`
					Matrix        map[string]struct{ Fraud, Legitimate, Unlabelled int64 }
				}
			}](t, h.audit("/v1/rules/performance?since=1h&policy=checkout"))
			if got.Decisions != 4 || got.Labels != 3 || len(got.Policies) != 1 {
				t.Fatalf("report: %+v", got)
			}
			byID := map[string]int{}
			for i, r := range got.Rules {
				byID[r.RuleID] = i
			}
			deny := got.Rules[byID[d1.FiredRules[0].ID]]
			if deny.Fires != 2 || deny.FiresFraud != 1 || deny.FiresLegitimate != 1 || deny.Precision == nil || *deny.Precision != 0.5 ||
				deny.Recall == nil || *deny.Recall != 0.5 {
				t.Fatalf("rule %s: %+v", d1.FiredRules[0].ID, deny)
			}
			m := got.Policies[0].Matrix
			if got.Policies[0].LabelledFraud != 2 || m["deny"].Fraud != 1 || m["deny"].Legitimate != 1 || m["review"].Fraud != 1 || m["allow"].Unlabelled != 1 {
				t.Fatalf("matrix: %+v", got.Policies[0])
			}
			if r := h.audit("/v1/rules/performance?window=7d"); r.status != 400 || r.errorCode(t) != "invalid_query" {
				t.Fatalf("unknown parameter: %d %s", r.status, r.body)
			}
			if r := h.do(req{method: "GET", path: "/v1/rules/performance", key: keyAnalyst2}); r.status != 403 {
				t.Fatalf("review key read performance: %d", r.status)
			}
		})
	}
}
