package config

import (
	"fmt"
	"strings"
)

// The scopes an API key can hold. Each route of the decision API needs one.
const (
	ScopeDecide   = "decide"   // POST /v1/decisions
	ScopeEvaluate = "evaluate" // POST /v1/evaluate
	ScopeAudit    = "audit"    // reading the decision log
	ScopeAdmin    = "admin"    // listing, validating and reloading policies
)

// Scopes lists every known scope, in a stable order.
var Scopes = []string{ScopeDecide, ScopeEvaluate, ScopeAudit, ScopeAdmin}

// DemoKey is the fixed key used when no API key is configured. It is printed
// in the demo's start-up log and in the README, so it is public: Validate
// refuses it on any address other than loopback.
const DemoKey = "demo:decide+evaluate+audit+admin:demo-key"

// MinSecretLen is the shortest secret accepted for a configured key (the demo
// key is exempt: it is loopback-only).
const MinSecretLen = 16

// APIKey is one caller's key: an id that appears in logs and decision traces,
// the scopes it grants, and the secret the caller sends as a bearer token.
type APIKey struct {
	ID     string   // e.g. "checkout-web"; logged and recorded, never secret
	Scopes []string // subset of Scopes
	Secret Secret   // the bearer token; never logged
}

// Has reports whether the key grants scope.
func (k APIKey) Has(scope string) bool {
	for _, s := range k.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// ParseAPIKeys reads the VERDICT_API_KEYS form: comma-separated entries of
// "id:scope+scope:secret". Blank entries are skipped. Errors name the entry by
// position and id, never by secret.
func ParseAPIKeys(s string) ([]APIKey, error) {
	var keys []APIKey
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		k, err := ParseAPIKey(entry)
		if err != nil {
			return nil, fmt.Errorf("api key #%d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// ParseAPIKey reads one "id:scope+scope:secret" entry. The secret is
// everything after the second colon, so it may itself contain colons.
func ParseAPIKey(entry string) (APIKey, error) {
	parts := strings.SplitN(entry, ":", 3)
	if len(parts) != 3 {
		return APIKey{}, fmt.Errorf("want id:scope+scope:secret, got %d part(s)", len(parts))
	}
	id, scopes, secret := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), parts[2]
	if id == "" {
		return APIKey{}, fmt.Errorf("empty key id")
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return APIKey{}, fmt.Errorf("key id %q: character %q not allowed (use A-Z, a-z, 0-9, '-', '_', '.')", id, c)
		}
	}
	if secret == "" {
		return APIKey{}, fmt.Errorf("key %q: empty secret", id)
	}
	k := APIKey{ID: id, Secret: Secret(secret)}
	for _, sc := range strings.Split(scopes, "+") {
		sc = strings.TrimSpace(sc)
		if !knownScope(sc) {
			return APIKey{}, fmt.Errorf("key %q: unknown scope %q (known: %s)", id, sc, strings.Join(Scopes, ", "))
		}
		if !k.Has(sc) {
			k.Scopes = append(k.Scopes, sc)
		}
	}
	return k, nil
}

func knownScope(s string) bool {
	for _, k := range Scopes {
		if k == s {
			return true
		}
	}
	return false
}
