package api

import (
	"context"

	"github.com/verdicthq/verdict/engine"
)

// ReloadTrigger is the trigger POST /v1/policies/reload passes to Reload.
const ReloadTrigger = "api"

// PolicyReloader reloads the rules folder into the live set; internal/reload's
// Reloader is the real one. Reload returns the new set, an error wrapping
// engine.LoadErrors when the policies do not load (the old set keeps
// serving), or an error wrapping ctx.Err() when ctx ends before its turn.
type PolicyReloader interface {
	Reload(ctx context.Context, trigger string) (*engine.Set, error)
	Dir() string
}
