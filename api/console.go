package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/console"
)

// mountConsole serves the browser console at /console/ over the server's own
// parts: its keys, live policy set and decision log, and the same decision
// filters as GET /v1/decisions.
func (s *Server) mountConsole(trustForwardedProto bool) error {
	opts := console.Options{
		Authenticate:        s.keys.identity,
		Live:                s.live,
		Log:                 s.auditLog,
		ParseFilter:         filterFromQuery,
		TrustForwardedProto: trustForwardedProto,
		Now:                 s.clock, // claims and resolutions on the API's clock
		Lists:               s.lists,
	}
	if pl, ok := s.auditLog.(audit.PolicyLog); ok {
		opts.Sources = policyLogSources{pl}
	}
	c, err := console.New(opts)
	if err != nil {
		return fmt.Errorf("api: console: %w", err)
	}
	h := echo.WrapHandler(c)
	s.e.GET(console.Prefix+"*", h)
	s.e.POST(console.Prefix+"*", h)
	s.e.GET("/console", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, console.Prefix)
	})
	return nil
}

// policyLogSources gives the console the policy sources the decision log keeps.
type policyLogSources struct{ pl audit.PolicyLog }

// PolicySource returns the kept source of a version, or console.ErrNoSource.
func (p policyLogSources) PolicySource(ctx context.Context, version string) ([]byte, error) {
	v, err := p.pl.PolicyVersion(ctx, version)
	if errors.Is(err, audit.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s is not in the decision log", console.ErrNoSource, version)
	}
	if err != nil {
		return nil, err
	}
	return v.Source, nil
}

// identity is the console's view of a key: its id and scopes, never the secret.
func (kr *keyring) identity(token string) (console.Identity, bool) {
	k := kr.lookup(token)
	if k == nil {
		return console.Identity{}, false
	}
	return console.Identity{KeyID: k.id, Scopes: append([]string(nil), k.scopes...)}, true
}
