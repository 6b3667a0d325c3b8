package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalScore: `verdict eval` prints a score policy's total and each fired
// rule's score, in text and in JSON.
func TestEvalScore(t *testing.T) {
	dir := t.TempDir()
	policy := `name: cards
default: allow
on_error: review
strategy: score
bands: { review: 40, deny: 80 }
rules:
  - { id: vpn, when: device_checks.vpn == "Detected", score: 25 }
  - { id: risky, when: risk_score >= 50, score: 30 }
  - { id: low, when: risk_score < 10, score: -5 }
`
	rep := `{"session_id":"s-1","user_id":"u-1","tags":[],"risk_score":60,"device_checks":{"vpn":"Detected"}}`
	if err := os.WriteFile(filepath.Join(dir, "cards.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	rf := filepath.Join(dir, "r.json")
	if err := os.WriteFile(rf, []byte(rep), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("eval", "--rules", dir, "--report", rf, "--format", "text")
	if code != 0 || !strings.Contains(out, "session s-1: review") || !strings.Contains(out, "score:   55\n") ||
		!strings.Contains(out, "fired:   vpn -> +25") || !strings.Contains(out, "fired:   risky -> +30") {
		t.Fatalf("exit %d\n%s\nstderr: %s", code, out, errOut)
	}
	code, out, errOut = run("eval", "--rules", dir, "--report", rf)
	if code != 0 || !strings.Contains(out, `"score": 55`) || !strings.Contains(out, `"score": 25`) {
		t.Fatalf("exit %d\n%s\nstderr: %s", code, out, errOut)
	}
}
