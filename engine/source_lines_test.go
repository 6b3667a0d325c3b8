package engine_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/engine"
)

const linesPolicy = `name: checkout
default: allow
on_error: review
rules:
  - id: very-high-risk
    description: top band
    when: risk_score >= 85
    action: deny

  # a comment between rules
  - id: multi-line
    when: >
      risk_score >= 50 &&
      context.amount >= 500
    action: review
  - {id: flow, when: "risk_score > 99", action: deny}
variables: {}
`

// TestSourceAndRuleLines: a policy keeps its file's bytes (whose SHA-256 is
// its version), and each rule's entry is found by line, so a fired rule in a
// trace can be shown in the source.
func TestSourceAndRuleLines(t *testing.T) {
	p, err := engine.ParsePolicy("checkout.yaml", []byte(linesPolicy))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(p.Source())
	if !bytes.Equal(p.Source(), []byte(linesPolicy)) || hex.EncodeToString(sum[:]) != p.Ref().Version {
		t.Fatalf("Source does not hash to the version %s", p.Ref().Version)
	}
	lines := strings.Split(linesPolicy, "\n")
	cases := []struct {
		id          string
		first, last int
	}{
		{"very-high-risk", 5, 8},
		{"multi-line", 11, 15},
		{"flow", 16, 16},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			first, last, ok := p.RuleLines(c.id)
			if !ok || first != c.first || last != c.last {
				t.Fatalf("RuleLines(%q) = %d-%d %v, want %d-%d", c.id, first, last, ok, c.first, c.last)
			}
			if !strings.Contains(lines[first-1], c.id) {
				t.Errorf("line %d is %q, not the rule's", first, lines[first-1])
			}
		})
	}
	if _, _, ok := p.RuleLines("missing"); ok {
		t.Error("RuleLines of an unknown id: ok")
	}
}
