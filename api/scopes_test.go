package api_test

import (
	"strings"
	"testing"

	"github.com/verdicthq/verdict/api"
	"github.com/verdicthq/verdict/internal/config"
)

// TestCheckKeys: unknown scopes are refused, naming the entry's position and
// key id and the scope's position, never the scope's text (a secret put in the
// scope field must not be printed back).
func TestCheckKeys(t *testing.T) {
	cases := []struct {
		name, keys string
		want       string // substring of the error; "" for none
	}{
		{"every scope", "a:decide+evaluate+audit+admin:aaaaaaaaaaaaaaaaaaaa", ""},
		{"unknown scope", "a:decide:aaaaaaaaaaaaaaaaaaaa,ops:decide+root:bbbbbbbbbbbbbbbbbbbb", `api key entry #2 (id "ops"): scope #2 is not one of decide, evaluate, audit, admin`},
		{"secret in the scope field", "ops:sk-LEAKED-0123456789:decide", `api key entry #1 (id "ops"): scope #1 is not one of`},
		{"scope names are case-sensitive", "a:Decide:aaaaaaaaaaaaaaaaaaaa", `entry #1 (id "a"): scope #1`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := config.ParseAPIKeys(tc.keys)
			if err != nil {
				t.Fatalf("ParseAPIKeys: %v", err)
			}
			err = api.CheckKeys(keys)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckKeys: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			for _, leak := range []string{"LEAKED", "root", "Decide"} {
				if strings.Contains(err.Error(), leak) {
					t.Fatalf("the error prints the scope field's value %q: %v", leak, err)
				}
			}
		})
	}
}
