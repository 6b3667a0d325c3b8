package api

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// TestAppendDecisionMatchesEncodingJSON checks the hand-written encoder
// byte for byte against encoding/json over awkward values.
func TestAppendDecisionMatchesEncodingJSON(t *testing.T) {
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
		if string(got) != string(want) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func TestAppendFloatNonFinite(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := string(appendFloat(nil, f)); got != "null" {
			t.Fatalf("%v -> %s", f, got)
		}
	}
}
