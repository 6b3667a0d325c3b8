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
				{ID: s, Action: engine.Deny, Description: s, Inputs: map[string]any{
					s: s, "n": 1.5, "big": 1e21, "small": 1e-7, "neg": -0.0, "int": 42.0, "huge": math.MaxFloat64,
					"t": true, "f": false, "nil": nil, "list": []any{"a", 1.0}, "obj": map[string]any{"k": s}, "i": 7, "i64": int64(-9),
				}},
				{ID: "no-desc", Action: engine.Allow, Inputs: map[string]any{}},
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
