package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/internal/config"
)

// keyring checks bearer tokens against the configured keys. It keeps only
// the SHA-256 of each secret and compares digests in constant time, so
// neither the secret's length nor the position of the first wrong byte shows
// in the timing; every key is compared, so which key matched does not show
// either.
type keyring struct {
	keys []hashedKey
}

type hashedKey struct {
	id     string
	scopes []string
	digest [sha256.Size]byte
}

func newKeyring(keys []config.APIKey) *keyring {
	kr := &keyring{}
	for _, k := range keys {
		kr.keys = append(kr.keys, hashedKey{id: k.ID, scopes: k.Scopes, digest: sha256.Sum256([]byte(k.Secret.Reveal()))})
	}
	return kr
}

// lookup returns the key whose secret is token, or nil.
func (kr *keyring) lookup(token string) *hashedKey {
	d := sha256.Sum256([]byte(token))
	var found *hashedKey
	for i := range kr.keys {
		if subtle.ConstantTimeCompare(d[:], kr.keys[i].digest[:]) == 1 {
			found = &kr.keys[i]
		}
	}
	return found
}

func (k *hashedKey) has(scope string) bool {
	for _, s := range k.scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// requireScope authenticates the caller with "Authorization: Bearer <key>"
// and checks that the key grants scope: 401 without a known key, 403 when the
// scope is missing. It records the key id for logs and decision records.
func (s *Server) requireScope(scope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			token, ok := bearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
			if !ok {
				return apiError(http.StatusUnauthorized, CodeUnauthenticated, "send your API key as \"Authorization: Bearer <key>\"")
			}
			k := s.keys.lookup(token)
			if k == nil {
				return apiError(http.StatusUnauthorized, CodeUnauthenticated, "unknown API key")
			}
			state(c).keyID = k.id
			if !k.has(scope) {
				return apiError(http.StatusForbidden, CodeForbidden, "key %q lacks the %q scope this route needs", k.id, scope)
			}
			return next(c)
		}
	}
}

// bearerToken extracts the token of a "Bearer" Authorization header (the
// scheme is case-insensitive).
func bearerToken(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	t := strings.TrimSpace(h[len(prefix):])
	return t, t != ""
}

// keyID returns the id of the authenticated key, "" before auth.
func keyID(c echo.Context) string {
	return state(c).keyID
}
