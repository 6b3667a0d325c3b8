package engine

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
)

// Inputs are the values a fired rule read, one per path, in path order (the
// engine sorts each rule's paths at load). In JSON they are an object
// {"path": value}, byte for byte what encoding/json writes for the same
// map[string]any. A slice rather than a map: explaining a fired rule then
// costs one small allocation instead of a map table.
type Inputs []Input

// Input is the value of one report or context field a rule read, by path such
// as "device_checks.vpn", "risk_score" or "context.amount".
type Input struct {
	Path  string
	Value any
}

// Get returns the value read at path and whether the rule read it.
func (in Inputs) Get(path string) (any, bool) {
	for i := len(in) - 1; i >= 0; i-- { // the last wins, as in a decoded JSON object
		if in[i].Path == path {
			return in[i].Value, true
		}
	}
	return nil, false
}

// Sorted returns the inputs sorted by path without repeated paths (the last
// of a repeated path wins, as in a JSON object decoded into a map): in itself
// when it already is, which is always so for inputs the engine built.
func (in Inputs) Sorted() Inputs {
	ok := true
	for i := 1; i < len(in); i++ {
		if in[i-1].Path >= in[i].Path {
			ok = false
			break
		}
	}
	if ok {
		return in
	}
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b Input) int { return cmp.Compare(a.Path, b.Path) })
	w := 0
	for i := range out {
		if w > 0 && out[w-1].Path == out[i].Path {
			out[w-1] = out[i]
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w]
}

// MarshalJSON writes the inputs as a JSON object keyed by path in sorted
// order; nil or empty inputs are {}. HTML characters are left for
// encoding/json to escape (it does by default), so the output matches a
// map[string]any's with and without Encoder.SetEscapeHTML(false).
func (in Inputs) MarshalJSON() ([]byte, error) {
	in = in.Sorted()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, x := range in {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(x.Path); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(x.Value); err != nil {
			return nil, fmt.Errorf("input %s: %w", x.Path, err)
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads a JSON object {"path": value} (as MarshalJSON writes
// it) into inputs sorted by path; null gives nil inputs.
func (in *Inputs) UnmarshalJSON(data []byte) error {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("decode inputs: %w", err)
	}
	if m == nil {
		*in = nil
		return nil
	}
	out := make(Inputs, 0, len(m))
	for p, v := range m {
		out = append(out, Input{Path: p, Value: v})
	}
	slices.SortFunc(out, func(a, b Input) int { return cmp.Compare(a.Path, b.Path) })
	*in = out
	return nil
}
