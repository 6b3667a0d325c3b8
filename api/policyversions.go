package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// versionRE is a policy version: the hex SHA-256 of its source.
var versionRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ruleLines is where a rule's entry sits in a policy's source.
type ruleLines struct {
	FirstLine int `json:"first_line"`
	LastLine  int `json:"last_line"`
}

// policyVersionResponse is GET /v1/policies/versions/{version}?format=json.
type policyVersionResponse struct {
	Version     string               `json:"version"`
	Name        string               `json:"name"`
	File        string               `json:"file"`
	StoredAt    time.Time            `json:"stored_at"`
	Activations []audit.Activation   `json:"activations"`
	Source      string               `json:"source,omitempty"`        // when the bytes are UTF-8
	SourceBytes []byte               `json:"source_base64,omitempty"` // else, base64
	Rules       map[string]ruleLines `json:"rules"`
}

// getPolicyVersion answers GET /v1/policies/versions/{version}: the exact
// source bytes of a policy version as the log kept them (application/yaml),
// or with ?format=json its metadata, activations and each rule's lines.
func (s *Server) getPolicyVersion(c echo.Context) error {
	if s.auditLog == nil {
		return errNoLog
	}
	pl, ok := s.auditLog.(audit.PolicyLog)
	if !ok {
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeDecisionLogFailed, Message: "this decision log keeps no policy sources"}
	}
	version := c.Param("version")
	if !versionRE.MatchString(version) {
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidQuery,
			Message: "a policy version is 64 lower-case hex digits (the SHA-256 a trace's policy.version shows)"}
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "source" {
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidQuery, Message: "format is source (the default) or json"}
	}
	v, err := pl.PolicyVersion(c.Request().Context(), version)
	switch {
	case errors.Is(err, audit.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no policy version " + version + " in the decision log", err: err}
	case err != nil:
		return readError(fmt.Errorf("get policy version %s: %w", version, err))
	}
	if format != "json" {
		h := c.Response().Header()
		h.Set("X-Policy-Name", v.Name)
		h.Set("X-Policy-Version", v.Version)
		return c.Blob(http.StatusOK, "application/yaml", v.Source)
	}
	resp := policyVersionResponse{Version: v.Version, Name: v.Name, File: v.File, StoredAt: v.Stored,
		Activations: v.Activations, Rules: map[string]ruleLines{}}
	if utf8.Valid(v.Source) {
		resp.Source = string(v.Source)
	} else {
		resp.SourceBytes = v.Source
	}
	// The same bytes load into the same rules: their lines, for fired rules.
	if p, err := engine.ParsePolicy(v.File, v.Source); err == nil {
		for _, id := range p.RuleIDs() {
			first, last, _ := p.RuleLines(id)
			resp.Rules[id] = ruleLines{first, last}
		}
	}
	return c.JSON(http.StatusOK, resp)
}
