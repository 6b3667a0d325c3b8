package api

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// policySetResponse is the answer of GET /v1/policies and a successful
// POST /v1/policies/reload.
type policySetResponse struct {
	LoadedAt time.Time           `json:"loaded_at"`
	Policies []engine.PolicyInfo `json:"policies"`
}

func newPolicySetResponse(set *engine.Set) policySetResponse {
	ps := set.Policies()
	if ps == nil {
		ps = []engine.PolicyInfo{}
	}
	return policySetResponse{LoadedAt: set.LoadedAt().UTC(), Policies: ps}
}

// listPolicies answers GET /v1/policies: the live set's policies with their
// versions, modes and rule counts, and when the set was loaded.
func (s *Server) listPolicies(c echo.Context) error {
	set := s.live.Load()
	if set == nil {
		return errNoPolicySet
	}
	return c.JSON(http.StatusOK, newPolicySetResponse(set))
}

// validateResponse is the answer of POST /v1/policies/validate.
type validateResponse struct {
	Valid  bool                `json:"valid"`
	Policy *engine.PolicyRef   `json:"policy"`
	Errors []*engine.LoadError `json:"errors"`
}

// validatePolicy answers POST /v1/policies/validate: the body is one policy
// file (YAML); the answer says whether it loads and, if not, every load
// error with its position. ?file=NAME names the file in the errors.
// Nothing is swapped in.
func (s *Server) validatePolicy(c echo.Context) error {
	if _, err := requireMediaType(c, "application/yaml", "application/x-yaml", "text/yaml", "text/plain"); err != nil {
		return err
	}
	body, err := readBody(c, s.bodyLimit)
	if err != nil {
		return err
	}
	file := filepath.Base(c.QueryParam("file"))
	if file == "." || file == "/" || file == "" {
		file = "policy.yaml"
	}
	p, err := s.policyLimits.ParsePolicy(file, body)
	resp := validateResponse{Valid: err == nil, Errors: []*engine.LoadError{}}
	if err != nil {
		resp.Errors = loadErrors(err, file)
	} else if p != nil {
		ref := p.Ref()
		resp.Policy = &ref
	}
	return c.JSON(http.StatusOK, resp)
}

// loadErrors lists the positioned errors inside err; an error without
// positions becomes one entry naming the file.
func loadErrors(err error, file string) []*engine.LoadError {
	var les engine.LoadErrors
	if errors.As(err, &les) {
		return les
	}
	var le *engine.LoadError
	if errors.As(err, &le) {
		return []*engine.LoadError{le}
	}
	return []*engine.LoadError{{File: file, Code: "load", Message: err.Error()}}
}

// reloadPolicies answers POST /v1/policies/reload: reload the rules folder
// now. A set that does not load is a 422 invalid_policy error listing the
// load errors in details; the old set keeps serving.
func (s *Server) reloadPolicies(c echo.Context) error {
	if s.reloader == nil {
		return errNoReloader
	}
	set, err := s.reloader.Reload(audit.WithKeyID(c.Request().Context(), keyID(c)), ReloadTrigger)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err // still waiting for another reload's turn: a timeout, not a bad policy
	}
	if err != nil {
		les := loadErrors(err, s.reloader.Dir())
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeInvalidPolicy,
			Message: "the policy set does not load; the previous set keeps serving", Details: les, err: err}
	}
	return c.JSON(http.StatusOK, newPolicySetResponse(set))
}
