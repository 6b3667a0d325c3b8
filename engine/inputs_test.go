package engine

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestInputsJSONMatchesMap: Inputs encode byte for byte as the map[string]any
// of the same paths did (sorted keys, the last of a repeated path wins), with
// and without HTML escaping, and decode back sorted.
func TestInputsJSONMatchesMap(t *testing.T) {
	cases := []struct {
		name string
		in   Inputs
	}{
		{"nil", nil},
		{"empty", Inputs{}},
		{"engine order", Inputs{{"context.amount", 120.5}, {"device_checks.vpn", "Detected"}, {"risk_score", 82}}},
		{"unsorted", Inputs{{"risk_score", 82}, {"context.note", "<b>&</b> \u2028"}, {"a", nil}, {"b", []any{"x", true}}}},
		{"repeated path", Inputs{{"n", 1.0}, {"m", "x"}, {"n", 2.0}}},
		{"awkward key", Inputs{{"quote\" <tag> \xff", map[string]any{"k": 1e21}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := map[string]any{}
			for _, x := range c.in {
				m[x.Path] = x.Value
			}
			for _, escape := range []bool{true, false} {
				got, want := encode(t, struct{ In Inputs }{c.in}, escape), encode(t, struct{ In map[string]any }{m}, escape)
				if got != want {
					t.Errorf("escapeHTML %v: got %s, want %s", escape, got, want)
				}
			}
			var back Inputs
			if err := json.Unmarshal([]byte(encode(t, c.in, true)), &back); err != nil {
				t.Fatal(err)
			}
			if want := c.in.Sorted(); len(want) == 0 && len(back) != 0 || len(want) > 0 && !reflect.DeepEqual(back, normal(t, want)) {
				t.Errorf("round trip %#v, want %#v", back, want)
			}
			for p, v := range m {
				if got, ok := c.in.Get(p); !ok || !reflect.DeepEqual(got, v) {
					t.Errorf("Get(%q) = %v, %v; want %v", p, got, ok, v)
				}
			}
		})
	}
	t.Run("null", func(t *testing.T) {
		in := Inputs{{"a", 1.0}}
		if err := json.Unmarshal([]byte(`null`), &in); err != nil || in != nil {
			t.Fatalf("null gave %v, %v", in, err)
		}
		if _, ok := in.Get("a"); ok {
			t.Fatal("Get on nil inputs found a path")
		}
	})
	t.Run("not an object", func(t *testing.T) {
		var in Inputs
		if err := json.Unmarshal([]byte(`["a"]`), &in); err == nil {
			t.Fatal("an array decoded as inputs")
		}
	})
}

// encode is v's JSON through an Encoder, with or without HTML escaping.
func encode(t *testing.T, v any, escapeHTML bool) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// normal is in as it reads back from JSON (numbers float64, invalid UTF-8
// as U+FFFD, and so on).
func normal(t *testing.T, in Inputs) Inputs {
	t.Helper()
	out := make(Inputs, len(in))
	for i, x := range in {
		var p string
		var v any
		if json.Unmarshal([]byte(encode(t, x.Path, true)), &p) != nil || json.Unmarshal([]byte(encode(t, x.Value, true)), &v) != nil {
			t.Fatalf("%#v does not round-trip", x)
		}
		out[i] = Input{p, v}
	}
	return out
}
