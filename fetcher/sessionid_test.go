package fetcher_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/fetcher"
)

// hostileIDs are session ids that must never reach Roundtable.
var hostileIDs = []string{
	"", "../../v1/users/x/sessions", "..", ".", "a/b", "a?b", "a#b", "a%2Fb", "a%2fb", "%2e%2e",
	"a b", " a", "a\tb", "a\nb", "a\rb", "a\x00b", "a\x7fb", "a;b", "a&b", "a=b", "a+b", "a\\b",
	"é", "a\u202eb", strings.Repeat("a", fetcher.MaxSessionIDLen+1),
}

func TestValidateSessionID(t *testing.T) {
	valid := []string{"a", "abc123def456", "demo-allow", "A_b-9", strings.Repeat("z", fetcher.MaxSessionIDLen)}
	for _, id := range valid {
		t.Run("valid/"+id[:min(len(id), 20)], func(t *testing.T) {
			if err := fetcher.ValidateSessionID(id); err != nil {
				t.Errorf("ValidateSessionID(%q) = %v, want nil", id, err)
			}
		})
	}
	for _, id := range hostileIDs {
		t.Run("invalid/"+id[:min(len(id), 20)], func(t *testing.T) {
			err := fetcher.ValidateSessionID(id)
			if !errors.Is(err, fetcher.ErrInvalidSessionID) {
				t.Errorf("ValidateSessionID(%q) = %v, want ErrInvalidSessionID", id, err)
			}
		})
	}
}
