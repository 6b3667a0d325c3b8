package api_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScoreInAnswer: a score policy's answer carries the total as score
// and each fired rule's score (validated against openapi.json, as every
// harness answer is); a rule with an action decides whatever the score; a
// policy of another strategy answers no score.
func TestScoreInAnswer(t *testing.T) {
	dir := t.TempDir()
	policy := `name: cards
default: allow
on_error: review
strategy: score
bands: { review: 40, deny: 80 }
rules:
  - { id: vpn, when: device_checks.vpn == "Detected", score: 25 }
  - { id: risky, when: risk_score >= 50, score: 30 }
  - { id: bot, when: device_checks.bot == "Detected", action: allow }
`
	if err := os.WriteFile(filepath.Join(dir, "cards.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOpts{rules: dir})
	cases := []struct {
		name, checks, want string
		score              string
	}{
		{"bands decide", `{"vpn":"Detected"}`, "review", `"score":55`},
		{"an action decides", `{"vpn":"Detected","bot":"Detected"}`, "allow", `"score":55`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"report":{"session_id":"s-1","tags":[],"risk_score":60,"device_checks":` + tc.checks + `}}`
			r := h.do(req{method: "POST", path: "/v1/evaluate", key: keyRisk, ctype: "application/json", body: body})
			if r.status != 200 || !strings.Contains(string(r.body), `"outcome":"`+tc.want+`"`) || !strings.Contains(string(r.body), tc.score) ||
				!strings.Contains(string(r.body), `"id":"vpn","inputs":{"device_checks.vpn":"Detected"},"score":25`) {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		})
	}
	plain := newHarness(t, harnessOpts{rules: "testdata/rules"})
	r := plain.do(req{method: "POST", path: "/v1/evaluate", key: keyRisk, ctype: "application/json",
		body: `{"report":{"session_id":"s-1","tags":["checkout-flow"],"risk_score":61}}`})
	if r.status != 200 || strings.Contains(string(r.body), `"score"`) {
		t.Fatalf("a most_severe policy's answer: %d %s", r.status, r.body)
	}
}
