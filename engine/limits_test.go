package engine

import (
	"os"
	"strings"
	"testing"
)

// TestLimitsAreConfigurable: a zero Limits is the defaults, and each limit
// set by a caller is the one a policy loads under.
func TestLimitsAreConfigurable(t *testing.T) {
	if got := (Limits{}).orDefault(); got != DefaultLimits {
		t.Fatalf("zero limits = %+v, want the defaults %+v", got, DefaultLimits)
	}
	if got := (Limits{Nesting: 1 << 30}).orDefault().Nesting; got != MaxNesting {
		t.Errorf("nesting %d, want it capped at %d", got, MaxNesting)
	}
	shipped, err := os.ReadFile("../rules/checkout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		lim  Limits
		want string // "" when the shipped policy loads
	}{
		{"defaults", Limits{}, ""},
		{"cost", Limits{Cost: 100}, "a decision would cost up to"},
		{"memory", Limits{Memory: 500}, "allocate up to"},
		{"file size", Limits{FileBytes: 100}, "the limit is 100"},
		{"expression length", Limits{ExprChars: 20}, "the limit is 20"},
		{"nesting", Limits{Nesting: 1}, "nested 2 levels deep"},
		{"variables", Limits{Variables: 2}, "at most 2 variables"},
		{"rules", Limits{Rules: 3}, "at most 3 rules"},
		{"context fields", Limits{ContextFields: 1, Cost: 0}, ""}, // it declares one
		{"nodes", Limits{Nodes: 10}, "over 10 nodes"},
		{"total nodes", Limits{TotalNodes: 50}, "over 50 nodes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.lim.ParsePolicy("checkout.yaml", shipped)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("does not load: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
