package api

import (
	"net/http"
)

// ContextLimits bound the caller's context, so that whatever is accepted can
// be recorded and read back (GET /v1/decisions/{id}, list pages, export) and
// no context costs more than its size to decode, check and store. A zero
// field takes its default.
type ContextLimits struct {
	// MaxDepth is how deeply objects and arrays may nest; the context object
	// itself is level 1 (default 32; config http.context_max_depth).
	MaxDepth int
	// MaxKeys is how many object members the context may hold in all, at
	// every level (default 1000; config http.context_max_keys).
	MaxKeys int
	// MaxString is the longest string, member name or value, in bytes
	// (default 65536; config http.context_max_string).
	MaxString int
}

// The default context limits.
const (
	DefaultContextMaxDepth  = 32
	DefaultContextMaxKeys   = 1000
	DefaultContextMaxString = 64 << 10
)

// withDefaults fills the zero fields.
func (l ContextLimits) withDefaults() ContextLimits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultContextMaxDepth
	}
	if l.MaxKeys <= 0 {
		l.MaxKeys = DefaultContextMaxKeys
	}
	if l.MaxString <= 0 {
		l.MaxString = DefaultContextMaxString
	}
	return l
}

// check walks a decoded context and returns a 400 invalid_context naming
// the first limit it is over.
func (l ContextLimits) check(ctx map[string]any) error {
	keys := 0
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		switch v := v.(type) {
		case map[string]any:
			if depth > l.MaxDepth {
				return l.tooDeep()
			}
			keys += len(v)
			if keys > l.MaxKeys {
				return apiError(http.StatusBadRequest, CodeInvalidContext,
					"context: more than %d keys in all, over the limit (http.context_max_keys)", l.MaxKeys)
			}
			for k, x := range v {
				if len(k) > l.MaxString {
					return l.tooLong("a key")
				}
				if err := walk(x, depth+1); err != nil {
					return err
				}
			}
		case []any:
			if depth > l.MaxDepth {
				return l.tooDeep()
			}
			for _, x := range v {
				if err := walk(x, depth+1); err != nil {
					return err
				}
			}
		case string:
			if len(v) > l.MaxString {
				return l.tooLong("a string")
			}
		}
		return nil
	}
	return walk(ctx, 1)
}

func (l ContextLimits) tooDeep() error {
	return apiError(http.StatusBadRequest, CodeInvalidContext,
		"context: nested more than %d levels deep, over the limit (http.context_max_depth)", l.MaxDepth)
}

func (l ContextLimits) tooLong(what string) error {
	return apiError(http.StatusBadRequest, CodeInvalidContext,
		"context: %s longer than %d bytes, over the limit (http.context_max_string)", what, l.MaxString)
}
