package engine

import "testing"

// TestNestingOver: what counts as nesting, and where the scan says it goes
// over the limit.
func TestNestingOver(t *testing.T) {
	cases := []struct {
		name, text string
		limit      int
		off, depth int // off -1: within the limit
	}{
		{"flat", `risk_score > 1 && device_checks.vpn == "Detected"`, 1, -1, 0},
		{"brackets", `(((x)))`, 2, 2, 3},
		{"siblings", `(a) + (b) + [c, (d)]`, 2, -1, 0},
		{"prefix operators", `!!!x`, 2, 2, 3},
		{"not", `not not not x`, 2, 8, 3},
		{"prefix inside brackets", `(!(!x))`, 3, 3, 4},
		{"minus after an operator", `1 - -1`, 1, -1, 0},
		{"not equal is not prefix", `a != b && c != d`, 0, -1, 0},
		{"conditionals in a chain", `a ? b : c ? d : e ? f : g`, 2, 18, 3},
		{"a conditional closed by its bracket", `(a ? b : c) && (d ? e : f)`, 2, -1, 0},
		{"?? and ?. are not conditionals", `a ?? b ?? c?.d?.e`, 0, -1, 0},
		{"brackets in a string", `"((((((" + '[[[[' + ` + "`{{{{`" + `) `, 1, -1, 0},
		{"escaped quote in a string", `"\"(((" == x`, 0, -1, 0},
		{"a range is not a member", `1..-1`, 1, -1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			off, depth := nestingOver(tc.text, tc.limit)
			if off != tc.off || (off >= 0 && depth != tc.depth) {
				t.Errorf("nestingOver(%q, %d) = %d, %d; want %d, %d", tc.text, tc.limit, off, depth, tc.off, tc.depth)
			}
		})
	}
}
