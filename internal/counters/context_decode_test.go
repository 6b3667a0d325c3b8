package counters

import (
	"reflect"
	"testing"
)

// contextCases are stored contexts of every shape: flat ones the token
// reader takes, and everything it must leave to Unmarshal.
var contextCases = []string{
	`{"amount":120,"card":"c1"}`,
	`{}`,
	` { "a" : 1.5e2 , "b" : true, "c": false, "d": null, "e": "x" } `,
	`{"a":-0,"b":0.1,"c":12345678901234567890}`,
	`{"big":1e400}`,
	`{"a":"\u00e9\n\"q\"","b":"\ud83d\ude00"}`,
	`{"a":1,"a":2}`,
	`{"a":{"b":1}}`,
	`{"a":[1,2]}`,
	`{"a":1}x`,
	`{"a":1}{"b":2}`,
	`{"a":1,}`,
	`{"a"}`,
	`[1,2]`,
	`"text"`,
	`{"a":"` + "\xff" + `"}`,
	`{"` + "\xff" + `":1}`,
	`{"a":01}`,
	`{"a":1`,
	``,
}

// TestContextDecoderMatchesUnmarshal: the decoder gives exactly what
// decodeJSON (json v2's Unmarshal, encoding/json when it refuses) gives,
// value and whether it failed, for every case, decoded twice in a row with
// one decoder (it is reused).
func TestContextDecoderMatchesUnmarshal(t *testing.T) {
	c := newContextDecoder()
	flat := 0
	for _, in := range append(contextCases, contextCases...) {
		var want map[string]any
		wantErr := decodeJSON([]byte(in), &want)
		got, err := c.decode([]byte(in))
		if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %#v, %v; want %#v, %v", in, got, err, want, wantErr)
		}
		var none *contextDecoder // the tail's one-off reads
		if got, err := none.decode([]byte(in)); (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q with no decoder: got %#v, %v; want %#v, %v", in, got, err, want, wantErr)
		}
		if _, ok := c.flat([]byte(in)); ok {
			flat++
		}
	}
	if flat < 8 {
		t.Fatalf("only %d cases took the token reader: it is not what is tested", flat)
	}
}

// FuzzContextDecoder compares the decoder with decodeJSON on any input.
func FuzzContextDecoder(f *testing.F) {
	for _, in := range contextCases {
		f.Add([]byte(in))
	}
	c := newContextDecoder()
	f.Fuzz(func(t *testing.T, in []byte) {
		var want map[string]any
		wantErr := decodeJSON(in, &want)
		got, err := c.decode(in)
		if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, %v; want %#v, %v", in, got, err, want, wantErr)
		}
	})
}

// BenchmarkContextDecode: a stored context decoded by the token reader and,
// in the same run, by decodeJSON (json v2's Unmarshal).
func BenchmarkContextDecode(b *testing.B) {
	in := []byte(`{"amount":120.5,"card":"c1234","country":"FR"}`)
	b.Run("token-reader", func(b *testing.B) {
		c := newContextDecoder()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.decode(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := decodeJSON(in, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
