package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/verdicthq/verdict/engine"
)

// MaskPrefix starts every masked value: "hmac-sha256:" and the hex HMAC.
const MaskPrefix = "hmac-sha256:"

// Mask masks named trace fields before anything is stored: each is replaced
// by its keyed HMAC-SHA256 (equal values stay equal, so search and counters
// still group them) or removed. A nil or empty Mask masks nothing.
//
// A field is named as a policy names it: "context.email" (the caller's
// context), "user_id", "session_id", or a report path such as
// "device_checks.ip" ("report." in front is accepted too). Masking a field
// masks it everywhere the trace holds it: the context, the report, the
// user_id and session_id columns, the values fired rules read, and the
// stored answer.
type Mask struct {
	rules []maskRule
	key   []byte
}

type maskRule struct {
	field  string   // as the trace's inputs name it: "context.email", "user_id", "device_checks.ip"
	path   []string // within the context (for context.*) or the report
	ctx    bool     // a context field
	remove bool
}

var maskFieldRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// NewMask parses field specs ("context.email", "user_id:remove",
// "context.card_fingerprint:hmac"); key is the HMAC key, required (16 bytes
// or more) when a field is masked by HMAC.
func NewMask(specs []string, key []byte) (*Mask, error) {
	m := &Mask{key: append([]byte(nil), key...)}
	seen := map[string]bool{}
	for _, spec := range specs {
		field, how, _ := strings.Cut(strings.TrimSpace(spec), ":")
		field = strings.TrimPrefix(field, "report.")
		if !maskFieldRE.MatchString(field) || field == "context" {
			return nil, fmt.Errorf("mask field %q: want a field path such as context.email, user_id or device_checks.ip", spec)
		}
		r := maskRule{field: field, path: strings.Split(field, ".")}
		switch how {
		case "", "hmac":
		case "remove":
			r.remove = true
		default:
			return nil, fmt.Errorf("mask field %q: %q is not a way to mask; use :hmac (the default) or :remove", spec, how)
		}
		if r.path[0] == "context" {
			r.ctx, r.path = true, r.path[1:]
		}
		if seen[field] {
			return nil, fmt.Errorf("mask field %q is named twice", field)
		}
		seen[field] = true
		if !r.remove && len(key) < 16 {
			return nil, fmt.Errorf("mask field %q is masked by HMAC: the mask key (VERDICT_MASK_KEY) must have at least 16 bytes", field)
		}
		m.rules = append(m.rules, r)
	}
	return m, nil
}

// Empty reports whether m masks nothing.
func (m *Mask) Empty() bool { return m == nil || len(m.rules) == 0 }

// Fields lists the masked fields with how ("context.email:hmac").
func (m *Mask) Fields() []string {
	if m == nil {
		return nil
	}
	out := make([]string, len(m.rules))
	for i, r := range m.rules {
		out[i] = r.field + ":" + map[bool]string{true: "remove", false: "hmac"}[r.remove]
	}
	return out
}

// ContextOnly reports whether every field m masks is a context field (or
// m masks nothing): the report, its user_id and session_id are then stored
// as received.
func (m *Mask) ContextOnly() bool {
	if m == nil {
		return true
	}
	for _, r := range m.rules {
		if !r.ctx {
			return false
		}
	}
	return true
}

// String masks one string value as field is masked: what a search for a
// masked field's clear value must look for. Fields not masked, and removed
// ones, are returned as is.
func (m *Mask) String(field, value string) string {
	if m.Empty() || value == "" {
		return value
	}
	for _, r := range m.rules {
		if r.field == field && !r.remove {
			return m.hmac([]byte(value))
		}
	}
	return value
}

// Filter masks a search's values for the fields m masks.
func (m *Mask) Filter(f Filter) Filter {
	f.UserID = m.String("user_id", f.UserID)
	f.SessionID = m.String("session_id", f.SessionID)
	return f
}

func (m *Mask) hmac(b []byte) string {
	h := hmac.New(sha256.New, m.key)
	h.Write(b)
	return MaskPrefix + hex.EncodeToString(h.Sum(nil))
}

// value masks one JSON value: a string by its bytes (as String does), any
// other value by its JSON text.
func (m *Mask) value(v any) any {
	if s, ok := v.(string); ok {
		return m.hmac([]byte(s))
	}
	if n, ok := v.(json.Number); ok {
		return m.hmac([]byte(n.String()))
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprint(v))
	}
	return m.hmac(b)
}

// apply masks r's path inside the decoded document v; it reports whether
// the field was there. A key given more than once in an object (valid
// JSON; which one a reader takes differs) is masked every time.
func (m *Mask) apply(v any, r maskRule, path []string) (any, bool) {
	o, ok := v.(jsonObject)
	if !ok || len(path) == 0 {
		return v, false
	}
	hit := false
	out := o[:0:0]
	for _, mem := range o {
		if mem.Key != path[0] {
			out = append(out, mem)
			continue
		}
		switch {
		case len(path) > 1:
			var h bool
			mem.Value, h = m.apply(mem.Value, r, path[1:])
			hit = hit || h
		case r.remove:
			hit = true
			continue
		default:
			mem.Value, hit = m.value(mem.Value), true
		}
		out = append(out, mem)
	}
	return out, hit
}

// applyAny is apply over a value a rule read (maps from the engine).
func (m *Mask) applyAny(v any, r maskRule, path []string) (any, bool) {
	mp, ok := v.(map[string]any)
	if !ok || len(path) == 0 {
		return v, false
	}
	child, present := mp[path[0]]
	if !present {
		return v, false
	}
	cp := make(map[string]any, len(mp))
	for k, x := range mp {
		cp[k] = x
	}
	if len(path) > 1 {
		nv, hit := m.applyAny(child, r, path[1:])
		cp[path[0]] = nv
		return cp, hit
	}
	if r.remove {
		delete(cp, path[0])
	} else {
		cp[path[0]] = m.value(child)
	}
	return cp, true
}

// maskDoc masks the rules' fields in one JSON document; ok is false when the
// document is not JSON (the caller then drops it whole).
func (m *Mask) maskDoc(b []byte, ctx bool, hit map[string]bool) ([]byte, bool) {
	var doc any
	var changed bool
	for _, r := range m.rules {
		if r.ctx != ctx {
			continue
		}
		if doc == nil {
			var err error
			if doc, err = decodeOrdered(b); err != nil {
				return nil, false
			}
		}
		var h bool
		if doc, h = m.apply(doc, r, r.path); h {
			hit[r.field], changed = true, true
		}
	}
	if !changed {
		return b, true
	}
	out, err := encodeOrdered(doc)
	if err != nil {
		return nil, false
	}
	return out, true
}

// inputs masks the values fired rules read.
func (m *Mask) inputs(in engine.Inputs, hit map[string]bool) engine.Inputs {
	out := make(engine.Inputs, 0, len(in))
	for _, x := range in {
		keep := true
		for _, r := range m.rules {
			switch {
			case x.Path == r.field:
				hit[r.field] = true
				if r.remove {
					keep = false
				} else {
					x.Value = m.value(x.Value)
				}
			case strings.HasPrefix(r.field, x.Path+"."): // the rule read an object holding the field
				var h bool
				if x.Value, h = m.applyAny(x.Value, r, strings.Split(strings.TrimPrefix(r.field, x.Path+"."), ".")); h {
					hit[r.field] = true
				}
			}
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

func (m *Mask) fired(rules []engine.FiredRule, hit map[string]bool) []engine.FiredRule {
	if rules == nil {
		return nil
	}
	out := make([]engine.FiredRule, len(rules))
	for i, r := range rules {
		r.Inputs = m.inputs(r.Inputs, hit)
		out[i] = r
	}
	return out
}

// answer masks the stored answer: its session_id and the inputs of its
// fired rules, keeping every other byte's meaning and the members' order.
func (m *Mask) answer(b []byte, hit map[string]bool) []byte {
	doc, err := decodeOrdered(b)
	o, ok := doc.(jsonObject)
	if err != nil || !ok {
		return nil // not an answer verdict wrote: not kept
	}
	for _, r := range m.rules {
		if r.field == "session_id" || r.field == "user_id" {
			if v, i := o.get(r.field); i >= 0 && v != nil {
				if r.remove {
					o[i].Value = ""
				} else {
					o[i].Value = m.value(v)
				}
			}
		}
	}
	if fr, i := o.get("fired_rules"); i >= 0 {
		if list, ok := fr.([]any); ok {
			for _, e := range list {
				ro, ok := e.(jsonObject)
				if !ok {
					continue
				}
				if in, j := ro.get("inputs"); j >= 0 {
					if io, ok := in.(jsonObject); ok {
						ro[j].Value = m.answerInputs(io, hit)
					}
				}
			}
		}
	}
	out, err := encodeOrdered(o)
	if err != nil {
		return nil
	}
	return out
}

func (m *Mask) answerInputs(in jsonObject, hit map[string]bool) jsonObject {
	out := jsonObject{}
	for _, x := range in {
		keep := true
		for _, r := range m.rules {
			switch {
			case x.Key == r.field:
				hit[r.field] = true
				if r.remove {
					keep = false
				} else {
					x.Value = m.value(x.Value)
				}
			case strings.HasPrefix(r.field, x.Key+"."):
				var h bool
				if x.Value, h = m.apply(x.Value, r, strings.Split(strings.TrimPrefix(r.field, x.Key+"."), ".")); h {
					hit[r.field] = true
				}
			}
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

// Apply returns a copy of t with m's fields masked everywhere it holds
// them, and Masked and Erased listing the fields masked and removed that
// the trace held; t itself is not changed. A report or context that is not
// JSON while a field of it is to be masked is removed whole (named
// "report" or "context" in Erased): the clear value never reaches storage.
func (m *Mask) Apply(t *Trace) *Trace {
	if m.Empty() {
		return t
	}
	c := *t
	hit := map[string]bool{}
	var wholeErased []string
	if len(c.Context) > 0 {
		if out, ok := m.maskDoc(c.Context, true, hit); ok {
			c.Context = out
		} else {
			c.Context, wholeErased = nil, append(wholeErased, "context")
		}
	}
	if len(c.Report) > 0 {
		if out, ok := m.maskDoc(c.Report, false, hit); ok {
			c.Report = out
		} else {
			c.Report, wholeErased = nil, append(wholeErased, "report")
		}
	}
	for _, r := range m.rules {
		var dst *string
		switch r.field {
		case "user_id":
			dst = &c.UserID
		case "session_id":
			dst = &c.SessionID
		default:
			continue
		}
		if *dst == "" {
			continue
		}
		hit[r.field] = true
		clear := *dst
		if r.remove {
			*dst = ""
		} else {
			*dst = m.hmac([]byte(clear))
		}
		c.FetchError = strings.ReplaceAll(c.FetchError, clear, *dst)
	}
	c.FiredRules = m.fired(c.FiredRules, hit)
	if c.Shadow != nil {
		sh := *c.Shadow
		sh.FiredRules = m.fired(sh.FiredRules, hit)
		c.Shadow = &sh
	}
	if len(c.Answer) > 0 {
		c.Answer = m.answer(c.Answer, hit)
	}
	c.Masked, c.Erased = nil, wholeErased
	for _, r := range m.rules {
		switch {
		case !hit[r.field]:
		case r.remove:
			c.Erased = append(c.Erased, r.field)
		default:
			c.Masked = append(c.Masked, r.field)
		}
	}
	return &c
}
