package config

import (
	"fmt"
	"strings"
)

// DemoKey is the fixed key used when no API key is configured. It is printed
// in the demo's start-up log and in the README, so it is public: Validate
// refuses it on any address other than loopback.
const DemoKey = "demo:decide+evaluate+audit+admin+review:demo-key"

// MinSecretLen is the shortest secret accepted for a configured key (the demo
// key is exempt: it is loopback-only).
const MinSecretLen = 16

// APIKey is one caller's key as configured: an id that appears in logs and
// decision traces, the scope names it lists, and the secret the caller sends
// as a bearer token. Which scopes exist and what they grant is the API's
// business (package api checks the names when it builds its keyring).
type APIKey struct {
	Entry  int      // 1-based position in api_keys / VERDICT_API_KEYS, for errors
	ID     string   // e.g. "checkout-web"; logged and recorded, never secret
	Scopes []string // the scope names listed, in order, without duplicates
	Secret Secret   // the bearer token; never logged
}

// Where names the key in errors: its position and id, never another field.
func (k APIKey) Where() string {
	if k.ID == "" {
		return fmt.Sprintf("entry #%d", k.Entry)
	}
	return fmt.Sprintf("entry #%d (id %q)", k.Entry, k.ID)
}

// ParseAPIKeys reads the VERDICT_API_KEYS form: comma-separated entries of
// "id:scope+scope:secret". Blank entries are skipped (positions still count
// them). Errors name the entry by position and id, never another field.
func ParseAPIKeys(s string) ([]APIKey, error) {
	var keys []APIKey
	for i, entry := range strings.Split(s, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		k, err := ParseAPIKey(i+1, entry)
		if err != nil {
			return nil, fmt.Errorf("api keys: %w", err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// ParseAPIKey reads one "id:scope+scope:secret" entry, the pos-th of its
// list. The secret is everything after the second colon, so it may itself
// contain colons. Scope names are split, trimmed and deduplicated, not
// checked (api does that). An error names pos and the id when the id is
// well-formed; it never quotes the scopes or the secret, since a secret put
// in the wrong field would be printed back.
func ParseAPIKey(pos int, entry string) (APIKey, error) {
	entry = strings.TrimSpace(entry)
	k := APIKey{Entry: pos}
	parts := strings.SplitN(entry, ":", 3)
	if len(parts) != 3 {
		return k, fmt.Errorf("%s: want id:scope+scope:secret, got %d colon-separated part(s)", k.Where(), len(parts))
	}
	id, scopes, secret := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), parts[2]
	if id == "" {
		return k, fmt.Errorf("%s: empty key id", k.Where())
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return k, fmt.Errorf("%s: the key id has a character other than A-Z, a-z, 0-9, '-', '_' and '.'", k.Where())
		}
	}
	k.ID = id
	if secret == "" {
		return k, fmt.Errorf("%s: empty secret", k.Where())
	}
	k.Secret = Secret(secret)
	for i, sc := range strings.Split(scopes, "+") {
		sc = strings.TrimSpace(sc)
		if sc == "" {
			return k, fmt.Errorf("%s: scope #%d is empty", k.Where(), i+1)
		}
		if !contains(k.Scopes, sc) {
			k.Scopes = append(k.Scopes, sc)
		}
	}
	return k, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
