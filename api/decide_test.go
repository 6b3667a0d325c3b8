package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/verdicthq/verdict/api"
	"github.com/verdicthq/verdict/engine"
)

// decision is the answer of POST /v1/decisions, as a caller decodes it.
type decision struct {
	DecisionID        string             `json:"decision_id"`
	SessionID         string             `json:"session_id"`
	Outcome           string             `json:"outcome"`
	Reason            string             `json:"reason"`
	Policy            engine.PolicyRef   `json:"policy"`
	FiredRules        []engine.FiredRule `json:"fired_rules"`
	ReportStatus      string             `json:"report_status"`
	RiskScore         *int               `json:"risk_score"`
	RecommendedAction *string            `json:"recommended_action"`
	DecidedAt         time.Time          `json:"decided_at"`
	DryRun            bool               `json:"dry_run"`
}

func (r *result) decision(t *testing.T) decision {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var d decision
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatalf("decode decision: %v\n%s", err, r.body)
	}
	return d
}

func firedIDs(d decision) []string {
	ids := make([]string, 0, len(d.FiredRules))
	for _, f := range d.FiredRules {
		ids = append(ids, f.ID)
	}
	sort.Strings(ids)
	return ids
}

// recorder keeps every record the API hands to the decision-log seam.
type recorder struct {
	mu   sync.Mutex
	recs []*api.DecisionRecord
	err  error
}

func (r *recorder) Record(_ context.Context, rec *api.DecisionRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.recs = append(r.recs, rec)
	return nil
}

func (r *recorder) last(t *testing.T) *api.DecisionRecord {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recs) == 0 {
		t.Fatal("nothing recorded")
	}
	return r.recs[len(r.recs)-1]
}

func TestDecide(t *testing.T) {
	rec := &recorder{}
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", recorder: rec})
	cases := []struct {
		name, body    string
		outcome       string
		reason        string
		policy        string
		fired         string // sorted rule ids, comma-separated
		reportStatus  string
		score         int // -1 for null
		recommended   bool
		shadowOutcome string // "" for no shadow policy
	}{
		{"allow", `{"session_id":"t-allow"}`, "allow", "default", "checkout", "", "ok", 12, true, "allow"},
		{"review", `{"session_id":"t-review","context":{"amount":20}}`, "review", "rules", "checkout", "medium-risk-score", "ok", 61, true, "deny"},
		{"deny", `{"session_id":"t-deny"}`, "deny", "rules", "checkout", "automation-tool,high-risk-score", "ok", 88, true, "deny"},
		{"context decides: big basket behind a VPN", `{"session_id":"t-vpn","context":{"amount":600,"currency":"EUR"}}`, "review", "rules", "checkout", "big-basket-anonymized", "ok", 20, true, "allow"},
		{"context decides: small basket behind a VPN", `{"session_id":"t-vpn","context":{"amount":60}}`, "allow", "default", "checkout", "", "ok", 20, true, "allow"},
		{"policy chosen by tag", `{"session_id":"t-mobile"}`, "deny", "rules", "mobile", "mobile-risk", "ok", 45, true, ""},
		{"old report without tags or recommended_action", `{"session_id":"t-old","context":null}`, "allow", "default", "checkout", "", "ok", 10, false, ""},
		{"unknown session: on_error", `{"session_id":"no-such-session"}`, "review", "on_error", "checkout", "", "not_found", -1, false, ""},
	}
	var prevID string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.decide(tc.body)
			d := res.decision(t)
			if d.Outcome != tc.outcome || d.Reason != tc.reason || d.Policy.Name != tc.policy || d.ReportStatus != tc.reportStatus {
				t.Fatalf("got %s/%s by %s, report %s; want %s/%s by %s, report %s", d.Outcome, d.Reason, d.Policy.Name, d.ReportStatus, tc.outcome, tc.reason, tc.policy, tc.reportStatus)
			}
			if got := strings.Join(firedIDs(d), ","); got != tc.fired {
				t.Fatalf("fired %q, want %q", got, tc.fired)
			}
			if tc.score < 0 && d.RiskScore != nil || tc.score >= 0 && (d.RiskScore == nil || *d.RiskScore != tc.score) {
				t.Fatalf("risk_score %v, want %d", d.RiskScore, tc.score)
			}
			if (d.RecommendedAction != nil) != tc.recommended {
				t.Fatalf("recommended_action %v", d.RecommendedAction)
			}
			if len(d.Policy.Version) != 64 {
				t.Fatalf("policy version %q is not a SHA-256", d.Policy.Version)
			}
			id, err := uuid.Parse(d.DecisionID)
			if err != nil || id.Version() != 7 {
				t.Fatalf("decision_id %q is not a UUIDv7", d.DecisionID)
			}
			if d.DecisionID <= prevID {
				t.Fatalf("decision ids not increasing: %s then %s", prevID, d.DecisionID)
			}
			prevID = d.DecisionID

			r := rec.last(t)
			if r.DecisionID != d.DecisionID || r.KeyID != "checkout" || r.SessionID != strings.Split(tc.body, `"`)[3] || string(r.Live.Outcome) != d.Outcome || r.ReportStatus != d.ReportStatus {
				t.Fatalf("record does not match the answer: %+v", r)
			}
			if (r.RawReport() == nil) != (tc.reportStatus != "ok") || (r.FetchError == "") != (tc.reportStatus == "ok") {
				t.Fatalf("record report/fetch error: raw=%d bytes, err=%q", len(r.RawReport()), r.FetchError)
			}
			if string(r.ResponseBody) != string(res.body) {
				t.Fatalf("record's response body differs from the answer")
			}
			if tc.shadowOutcome == "" && r.Shadow != nil || tc.shadowOutcome != "" && (r.Shadow == nil || string(r.Shadow.Outcome) != tc.shadowOutcome) {
				t.Fatalf("shadow decision %+v, want %q", r.Shadow, tc.shadowOutcome)
			}
			if r.Timings.Total <= 0 || r.Timings.Total < r.Timings.Fetch {
				t.Fatalf("timings %+v", r.Timings)
			}
		})
	}

	t.Run("fired rules carry the inputs they read", func(t *testing.T) {
		d := h.decide(`{"session_id":"t-vpn","context":{"amount":600}}`).decision(t)
		in := d.FiredRules[0].Inputs
		amount, _ := in.Get("context.amount")
		if vpn, _ := in.Get("device_checks.vpn"); amount != float64(600) || vpn != "Detected" {
			t.Fatalf("inputs %v", in)
		}
	})
	t.Run("the shadow outcome is never returned", func(t *testing.T) {
		res := h.decide(`{"session_id":"t-review"}`)
		if strings.Contains(string(res.body), "shadow") || res.decision(t).Outcome != "review" {
			t.Fatalf("answer %s", res.body)
		}
	})
	t.Run("context of the wrong type for the policy is a 400 naming the field", func(t *testing.T) {
		res := h.decide(`{"session_id":"t-review","context":{"amount":"120.00"}}`)
		if res.status != 400 || res.errorCode(t) != "invalid_context" || !strings.Contains(string(res.body), "amount") {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("the decision log failing is a 503, never a verdict", func(t *testing.T) {
		rec.mu.Lock()
		rec.err = errors.New("disk full")
		rec.mu.Unlock()
		defer func() { rec.mu.Lock(); rec.err = nil; rec.mu.Unlock() }()
		res := h.decide(`{"session_id":"t-deny"}`)
		if res.status != 503 || res.errorCode(t) != "decision_log_unavailable" || strings.Contains(string(res.body), "deny") {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("idempotency key reaches the record", func(t *testing.T) {
		h.do(req{method: "POST", path: "/v1/decisions", key: keyCheckout, ctype: "application/json", body: `{"session_id":"t-allow"}`,
			header: map[string]string{"Idempotency-Key": "order-1234"}}).decision(t)
		if r := rec.last(t); r.IdempotencyKey != "order-1234" || string(r.RequestBody) != `{"session_id":"t-allow"}` {
			t.Fatalf("record %q %q", r.IdempotencyKey, r.RequestBody)
		}
	})
	t.Run("metrics count decisions and rule fires", func(t *testing.T) {
		body := string(h.do(req{method: "GET", path: "/metrics"}).body)
		for _, want := range []string{
			`verdict_decisions_total{outcome="deny",policy="checkout"`,
			`verdict_rule_fires_total{policy="checkout",rule="high-risk-score"}`,
			`verdict_shadow_decisions_total{agree="false",live_policy="checkout",outcome="deny",shadow_policy="shadow-checkout"}`,
			`verdict_upstream_request_duration_seconds_count{status="200"}`,
			`verdict_upstream_request_duration_seconds_count{status="404"}`,
			`verdict_policy_reloads_total{result="success",trigger="start"} 1`,
			`verdict_decision_log_errors_total 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func TestEvaluateAndPolicies(t *testing.T) {
	h := newHarness(t, harnessOpts{rules: "testdata/rules"})
	report := `{"session_id":"inline-1","tags":["checkout-flow"],"risk_score":91,"device_checks":{"bot":"Detected"}}`
	t.Run("evaluate", func(t *testing.T) {
		d := h.do(req{method: "POST", path: "/v1/evaluate", key: keyRisk, ctype: "application/json", body: `{"report":` + report + `,"context":{"amount":5}}`}).decision(t)
		if d.Outcome != "deny" || !d.DryRun || d.SessionID != "inline-1" || strings.Join(firedIDs(d), ",") != "automation-tool,high-risk-score" {
			t.Fatalf("got %+v", d)
		}
	})
	t.Run("evaluate: context of the wrong type", func(t *testing.T) {
		res := h.do(req{method: "POST", path: "/v1/evaluate", key: keyRisk, ctype: "application/json", body: `{"report":` + report + `,"context":{"amount":true}}`})
		if res.status != 400 || res.errorCode(t) != "invalid_context" {
			t.Fatalf("got %d %s", res.status, res.body)
		}
	})
	t.Run("list", func(t *testing.T) {
		m := h.do(req{method: "GET", path: "/v1/policies", key: keyOps}).json(t)
		ps := m["policies"].([]any)
		if len(ps) != 3 {
			t.Fatalf("policies %v", ps)
		}
	})
	validate := []struct {
		name, body string
		valid      bool
		errPart    string
	}{
		{"valid", "name: p\ndefault: allow\non_error: review\nrules:\n  - {id: a, when: risk_score > 5, action: deny}\n", true, ""},
		{"unknown name", "name: p\ndefault: allow\non_error: review\nrules:\n  - id: a\n    when: riskscore > 5\n    action: deny\n", false, "riskscore"},
		{"not yaml", "name: [\n", false, ""},
		{"empty", "", false, ""},
	}
	for _, tc := range validate {
		t.Run("validate "+tc.name, func(t *testing.T) {
			res := h.do(req{method: "POST", path: "/v1/policies/validate?file=p.yaml", key: keyOps, ctype: "application/yaml", body: tc.body})
			m := res.json(t)
			if res.status != 200 || m["valid"] != tc.valid {
				t.Fatalf("got %d %s", res.status, res.body)
			}
			errs := m["errors"].([]any)
			if tc.valid != (len(errs) == 0) || !strings.Contains(string(res.body), tc.errPart) {
				t.Fatalf("errors %v", errs)
			}
			if !tc.valid && !strings.Contains(string(res.body), `"file":"p.yaml"`) {
				t.Fatalf("errors do not name the file: %s", res.body)
			}
		})
	}
}

// TestDecisionLogTimeout: a decision log that hangs is cut off at the request
// timeout and the caller gets a 503, not a verdict and not a hung request.
func TestDecisionLogTimeout(t *testing.T) {
	hang := api.RecorderFunc(func(ctx context.Context, _ *api.DecisionRecord) error {
		<-ctx.Done()
		return ctx.Err()
	})
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", recorder: hang, reqTimeout: 200 * time.Millisecond})
	res := h.decide(`{"session_id":"t-allow"}`)
	if res.status != 503 || res.errorCode(t) != "decision_log_unavailable" {
		t.Fatalf("got %d %s", res.status, res.body)
	}
}
