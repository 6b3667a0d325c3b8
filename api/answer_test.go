package api

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// TestAnswerReadsAsEncodingJSON checks the answer's encoding (json v2) over
// awkward values: it is valid JSON that reads back, under encoding/json, as
// the same value encoding/json's own Marshal of the response gives, with
// HTML characters escaped as before.
func TestAnswerReadsAsEncodingJSON(t *testing.T) {
	score := 73
	action := "Manual review <or> \"verify\" & co"
	strs := []string{"", "plain", "quote\" backslash\\ slash/", "ctl \x00\x01\x1f\x7f tab\t nl\n cr\r",
		"html <script>&amp;</script>", "unicode é ü 日本 🙂", "seps \u2028 \u2029", "bad utf8 \xff\xfe end", "\xc3"}
	var cases []DecisionResponse
	for _, s := range strs {
		cases = append(cases, DecisionResponse{
			DecisionID: s, SessionID: s, Outcome: engine.Review, Reason: s,
			Policy: engine.PolicyRef{Name: s, Version: s},
			FiredRules: []engine.FiredRule{
				{ID: s, Action: engine.Deny, Description: s, Inputs: engine.Inputs{ // not sorted, "n" twice: Sorted's slow path
					{Path: s, Value: s}, {Path: "n", Value: 0.5}, {Path: "n", Value: 1.5}, {Path: "big", Value: 1e21}, {Path: "small", Value: 1e-7},
					{Path: "neg", Value: -0.0}, {Path: "int", Value: 42.0}, {Path: "huge", Value: math.MaxFloat64}, {Path: "t", Value: true},
					{Path: "f", Value: false}, {Path: "nil", Value: nil}, {Path: "list", Value: []any{"a", 1.0}},
					{Path: "obj", Value: map[string]any{"k": s}}, {Path: "i", Value: 7}, {Path: "i64", Value: int64(-9)},
				}},
				{ID: "sorted", Action: engine.Review, Inputs: engine.Inputs{{Path: "context.amount", Value: 600.0}, {Path: "device_checks.vpn", Value: s}}},
				{ID: "no-desc", Action: engine.Allow, Inputs: engine.Inputs{}},
				{ID: "nil-inputs", Action: engine.Allow},
			},
			RuleErrors:        []engine.RuleError{{RuleID: s, Message: s, Position: s}},
			ReportStatus:      s,
			RiskScore:         &score,
			RecommendedAction: &action,
			DecidedAt:         time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC),
			DryRun:            s == "",
			MonitorOnly:       s == "plain",
			WouldBeOutcome:    map[bool]engine.Outcome{true: engine.Deny}[s == "plain"],
		})
	}
	cases = append(cases, DecisionResponse{FiredRules: []engine.FiredRule{}, DecidedAt: time.Unix(0, 0).UTC()})
	for i, r := range cases {
		want, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendDecision(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(got) {
			t.Fatalf("case %d: not JSON: %s", i, got)
		}
		if bytes.ContainsAny(got, "<>&") {
			t.Fatalf("case %d: HTML characters not escaped: %s", i, got)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestAnswerFieldsInContractOrder: the answer's fields come in the order of
// the struct (and of openapi.json's example), optional ones only when set.
func TestAnswerFieldsInContractOrder(t *testing.T) {
	r := DecisionResponse{DecisionID: "d", SessionID: "s", Outcome: engine.Allow, Reason: "default",
		FiredRules: []engine.FiredRule{}, ReportStatus: "ok", DecidedAt: time.Unix(0, 0).UTC()}
	got, err := appendDecision(nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"decision_id":"d","session_id":"s","outcome":"allow","reason":"default","policy":{"name":"","version":""},` +
		`"fired_rules":[],"report_status":"ok","risk_score":null,"recommended_action":null,"decided_at":"1970-01-01T00:00:00Z"}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	r.MonitorOnly, r.WouldBeOutcome = true, engine.Deny
	got, _ = appendDecision([]byte("x"), &r)
	if !bytes.HasPrefix(got, []byte("x{")) || !bytes.HasSuffix(got, []byte(`,"monitor_only":true,"would_be_outcome":"deny"}`)) {
		t.Fatalf("monitor-only answer %s", got)
	}
}

// TestAnswerNonFiniteInputs: an input JSON cannot hold is written as null,
// never an encoding error that would fail the decision.
func TestAnswerNonFiniteInputs(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		r := DecisionResponse{FiredRules: []engine.FiredRule{{ID: "r", Action: engine.Deny, Inputs: engine.Inputs{{Path: "x", Value: f}}}}}
		got, err := appendDecision(nil, &r)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if !bytes.Contains(got, []byte(`"inputs":{"x":null}`)) {
			t.Fatalf("%v -> %s", f, got)
		}
	}
}
