package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/verdicthq/verdict/report"
)

// TestPooledEnvHoldsOnlyThisDecision: an evaluator's env is reused, and a
// context field's key comes and goes with the field, so deciding reports one
// after another must give exactly what a fresh policy gives for each, stale
// checks or context never leaking from the previous decision.
func TestPooledEnvHoldsOnlyThisDecision(t *testing.T) {
	shipped, err := os.ReadFile("../rules/checkout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reused := mustPolicy(t, string(shipped))
	seq := []struct {
		report string
		ctx    map[string]any
	}{
		{"demo-deny", map[string]any{"amount": 900}},
		{"demo-review", map[string]any{"amount": 900}},
		{"vpn-only", map[string]any{"amount": 900}},
		{"vpn-only", nil},
		{"old-missing-checks", map[string]any{"amount": 10}},
		{"demo-deny", map[string]any{"amount": 10}},
		{"demo-allow", map[string]any{"amount": 10}},
		{"anonymized-scripted", nil},
		{"demo-allow", nil},
	}
	for i, step := range seq {
		t.Run(fmt.Sprint(i, " ", step.report), func(t *testing.T) {
			data, err := os.ReadFile("../testdata/reports/" + step.report + ".json")
			if err != nil {
				t.Fatal(err)
			}
			r := mustReport(t, string(data))
			got := reused.Evaluate(Facts{Report: r, Context: step.ctx})
			want := mustPolicy(t, string(shipped)).Evaluate(Facts{Report: r, Context: step.ctx})
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("reused env decided\n%+v\na fresh one\n%+v", got, want)
			}
		})
	}
}

// slotPolicy reads every kind of env key (risk_score, documented checks, a
// context field of each type) and a check Roundtable does not document, and
// its rules fire for every report, so every decision explains them all.
const slotPolicy = `
name: slots
default: allow
on_error: review
context: {amount: number, channel: string, returning: bool}
rules:
  - id: reads-all
    when: >-
      risk_score >= 0 && device_checks.vpn != "x" && biometric_checks.all_pasted != "x" &&
      device_checks["emulator"] != "x" && (context.amount ?? 0) >= 0 &&
      (context.channel ?? "") != "x" && (context.returning ?? false) in [true, false]
    action: review
  - id: scores
    when: risk_score >= 0 && device_checks.tor != "x"
    action: allow
`

// oneRulePolicy fires one rule reading few paths, whose explanation is cut
// from the evaluator's slab.
const oneRulePolicy = `
name: one
default: allow
on_error: review
context: {amount: number}
rules:
  - id: small
    when: risk_score >= 0 && device_checks.vpn != "x" && (context.amount ?? 0) >= 0
    action: review
`

// TestDecisionsDoNotChangeAfterward: the env is overwritten by the next
// decision on the same evaluator, and explanations are cut from a shared
// slab, so an explanation must hold values no later decision changes, in a
// block of its own. Every
// decision of a sequence is encoded when made and again after the whole
// sequence; the two must be the same bytes.
func TestDecisionsDoNotChangeAfterward(t *testing.T) {
	for _, tc := range []struct {
		name, policy string
		fired        int
	}{{"many inputs", slotPolicy, 2}, {"slab", oneRulePolicy, 1}} {
		t.Run(tc.name, func(t *testing.T) { decideTwice(t, mustPolicy(t, tc.policy), tc.fired) })
	}
}

func decideTwice(t *testing.T, p *Policy, fired int) {
	ctxs := []map[string]any{
		{"amount": 900, "channel": "web", "returning": true},
		{"amount": 12.5, "channel": "app", "returning": false},
		nil,
		{"channel": "web"},
	}
	var decisions []Decision
	var first []string
	for _, name := range []string{"demo-deny", "demo-review", "vpn-only", "demo-allow", "old-missing-checks", "anonymized-scripted"} {
		data, err := os.ReadFile("../testdata/reports/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		r := mustReport(t, string(data))
		for _, ctx := range ctxs {
			d := p.Evaluate(Facts{Report: r, Context: ctx})
			if len(d.FiredRules) != fired || len(d.RuleErrors) != 0 {
				t.Fatalf("%s %v: want %d rules fired and no error, got %+v", name, ctx, fired, d)
			}
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			decisions, first = append(decisions, d), append(first, string(b))
		}
	}
	for i, d := range decisions {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != first[i] {
			t.Errorf("decision %d changed after later decisions:\nwhen made %s\nnow       %s", i, first[i], b)
		}
	}
}

// TestHandBuiltReportDecidesAsDecoded: a report built in Go, without
// DecodeReport, has no check index; the engine must read its maps and decide
// exactly as for the same report decoded.
func TestHandBuiltReportDecidesAsDecoded(t *testing.T) {
	shipped, err := os.ReadFile("../rules/checkout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := mustPolicy(t, string(shipped))
	for _, name := range []string{"demo-deny", "demo-review", "anonymized-scripted", "old-missing-checks"} {
		data, err := os.ReadFile("../testdata/reports/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		decoded := mustReport(t, string(data))
		byHand := &report.Report{SessionID: decoded.SessionID, RiskScore: decoded.RiskScore,
			DeviceChecks: decoded.DeviceChecks, BiometricChecks: decoded.BiometricChecks}
		ctx := map[string]any{"amount": 700}
		got, want := p.Evaluate(Facts{Report: byHand, Context: ctx}), p.Evaluate(Facts{Report: decoded, Context: ctx})
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: hand-built report decided\n%+v\ndecoded\n%+v", name, got, want)
		}
	}
}
