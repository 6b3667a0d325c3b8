package engine

import (
	"encoding/json"
	"fmt"
)

// CheckContext checks the caller's context against the policy's declared
// context fields: a declared field, when present and not null, must have its
// type (number: any Go integer or float, or a json.Number; string; bool).
// Declared fields may be left out (a rule reading one then errors, unless it
// guards with "context.amount ?? 0"); undeclared fields pass unchecked. It returns a *ContextError naming the first bad field, in
// the order the policy declares them.
func (p *Policy) CheckContext(ctx map[string]any) error {
	for _, f := range p.context {
		v, ok := ctx[f.name]
		if !ok || v == nil {
			continue
		}
		if _, err := f.check(v); err != nil {
			return err
		}
	}
	return nil
}

// check checks a value the caller gave for the declared field and returns it
// as rules see it: numbers as float64.
func (f *ctxField) check(v any) (any, error) {
	var good bool
	switch f.typ {
	case TypeNumber:
		if _, isFloat := v.(float64); isFloat {
			return v, nil
		}
		var n float64
		if n, good = toNumber(v); good {
			return n, nil
		}
	case TypeString:
		_, good = v.(string)
	case TypeBool:
		_, good = v.(bool)
	}
	if !good {
		return nil, &ContextError{Field: f.name, Message: fmt.Sprintf("must be a %s, got %s", f.typ, describe(v))}
	}
	return v, nil
}

// toNumber converts any Go number (or a json.Number) to float64.
func toNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the text %q", truncate(x, 40))
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	if _, ok := toNumber(v); ok {
		return fmt.Sprintf("the number %v", v)
	}
	return fmt.Sprintf("a %T", v)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
