package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// requireAnyScope is requireScope for routes that any one of several scopes
// opens (the review queue reads: audit or review).
func (s *Server) requireAnyScope(scopes ...string) echo.MiddlewareFunc {
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
			for _, sc := range scopes {
				if k.has(sc) {
					return next(c)
				}
			}
			return apiError(http.StatusForbidden, CodeForbidden, "key %q lacks a scope this route needs (%s)", k.id, strings.Join(scopes, " or "))
		}
	}
}
