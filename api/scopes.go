package api

import (
	"fmt"
	"strings"

	"github.com/verdicthq/verdict/internal/config"
)

// The scopes an API key can hold. Each authenticated route needs one.
const (
	ScopeDecide   = "decide"   // POST /v1/decisions
	ScopeEvaluate = "evaluate" // POST /v1/evaluate
	ScopeAudit    = "audit"    // reading the decision log
	ScopeAdmin    = "admin"    // listing, validating and reloading policies
	ScopeReview   = "review"   // working the review queue, writing labels, changing block and allow lists
)

// Scopes lists every scope, in a stable order.
var Scopes = []string{ScopeDecide, ScopeEvaluate, ScopeAudit, ScopeAdmin, ScopeReview}

// CheckKeys checks that every key lists only known scopes. An error names the
// key by position and id, and the scope by its position in the entry, never
// by its value: a secret put in the scope field must not be printed back.
func CheckKeys(keys []config.APIKey) error {
	for _, k := range keys {
		for i, sc := range k.Scopes {
			if !knownScope(sc) {
				return fmt.Errorf("api key %s: scope #%d is not one of %s", k.Where(), i+1, strings.Join(Scopes, ", "))
			}
		}
	}
	return nil
}

func knownScope(s string) bool {
	for _, k := range Scopes {
		if k == s {
			return true
		}
	}
	return false
}
