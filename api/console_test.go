package api

import (
	"testing"

	"github.com/verdicthq/verdict/internal/console"
)

// TestConsoleScopesAreTheAPIs: the console names the API's scopes by the same strings.
func TestConsoleScopesAreTheAPIs(t *testing.T) {
	for _, tc := range []struct{ console, api string }{
		{console.ScopeAudit, ScopeAudit},
		{console.ScopeAdmin, ScopeAdmin},
		{console.ScopeReview, ScopeReview},
	} {
		if tc.console != tc.api {
			t.Errorf("console scope %q, api scope %q", tc.console, tc.api)
		}
	}
	if !knownScope(console.ScopeAudit) || !knownScope(console.ScopeAdmin) || !knownScope(console.ScopeReview) {
		t.Errorf("a console scope is not one the API's keys can hold")
	}
}
