package engine

// STUB: the agreed API of the engine, with placeholder bodies. The engine work
// replaces these bodies (and may split this file); the signatures are what the
// api and audit packages build against.

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/verdicthq/verdict/fetcher"
)

var errStub = errors.New("engine: not implemented yet")

// LoadError is one problem found while loading a policy, with its position.
type LoadError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Message)
}

// LoadErrors is every problem found while loading a policy or a set.
type LoadErrors []*LoadError

func (es LoadErrors) Error() string {
	s := ""
	for i, e := range es {
		if i > 0 {
			s += "\n"
		}
		s += e.Error()
	}
	return s
}

// ContextError says which caller context field has the wrong type for the
// policy's declared context.
type ContextError struct {
	Field   string // e.g. "amount"
	Message string
}

func (e *ContextError) Error() string { return "context." + e.Field + ": " + e.Message }

// PolicyInfo describes a loaded policy for listings.
type PolicyInfo struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	File      string   `json:"file"`
	Mode      string   `json:"mode"` // "live" or "shadow"
	Default   bool     `json:"default"`
	MatchTags []string `json:"match_tags,omitempty"`
	Rules     int      `json:"rules"`
}

// Policy is one compiled policy.
type Policy struct{}

// Set is an immutable, compiled set of policies.
type Set struct{}

// LoadDir loads every policy file in dir (not *_test.yaml) as one Set.
func LoadDir(dir string) (*Set, error) { return nil, errStub }

// ParsePolicy loads one policy from bytes; file names it in errors.
func ParsePolicy(file string, data []byte) (*Policy, error) { return nil, errStub }

// Select returns the live policy for a session with these tags (never nil for a
// loaded Set: the default policy when no match) and the shadow policy, if any.
func (s *Set) Select(tags []string) (live, shadow *Policy) { return nil, nil }

// Policies lists the set's policies.
func (s *Set) Policies() []PolicyInfo { return nil }

// LoadedAt is when the set was compiled.
func (s *Set) LoadedAt() time.Time { return time.Time{} }

// Ref names the policy and its version.
func (p *Policy) Ref() PolicyRef { return PolicyRef{} }

// Evaluate decides over a report and the caller's context. It never panics.
func (p *Policy) Evaluate(r *fetcher.Report, ctx map[string]any) Decision { return Decision{} }

// Fallback is the decision when the report cannot be had: on_error, no rules.
func (p *Policy) Fallback() Decision { return Decision{} }

// CheckContext checks the caller's context against the policy's declared
// context fields; it returns a *ContextError naming the first bad field.
func (p *Policy) CheckContext(ctx map[string]any) error { return nil }

// Live holds the current Set and swaps it atomically on reload.
type Live struct{ p atomic.Pointer[Set] }

// Load returns the current set.
func (l *Live) Load() *Set { return l.p.Load() }

// Store swaps in a new set; callers holding the old one finish on it.
func (l *Live) Store(s *Set) { l.p.Store(s) }
