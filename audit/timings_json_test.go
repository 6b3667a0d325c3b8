package audit_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// TestTimingsJSON: Timings keep the stored trace's shape (milliseconds, to
// the microsecond) and read back what they wrote.
func TestTimingsJSON(t *testing.T) {
	cases := []struct {
		name string
		in   audit.Timings
		want string
	}{
		{"sample", audit.Timings{Fetch: 12500 * time.Microsecond, Evaluate: 40 * time.Microsecond, Total: 13100 * time.Microsecond},
			`{"fetch_ms":12.5,"eval_ms":0.04,"total_ms":13.1}`},
		{"zero", audit.Timings{}, `{"fetch_ms":0,"eval_ms":0,"total_ms":0}`},
		{"below a microsecond is truncated", audit.Timings{Fetch: 999, Evaluate: 1001, Total: time.Hour},
			`{"fetch_ms":0,"eval_ms":0.001,"total_ms":3600000}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.in)
			if err != nil || string(b) != c.want {
				t.Fatalf("got %s, %v; want %s", b, err, c.want)
			}
			var back audit.Timings
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if want := (audit.Timings{Fetch: c.in.Fetch.Truncate(time.Microsecond), Evaluate: c.in.Evaluate.Truncate(time.Microsecond),
				Total: c.in.Total.Truncate(time.Microsecond)}); back != want {
				t.Fatalf("read back %+v, want %+v", back, want)
			}
		})
	}
	t.Run("same text as encoding/json writes the milliseconds", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for range 10000 {
			d := time.Duration(r.Int64N(int64(10 * time.Minute)))
			got, _ := json.Marshal(audit.Timings{Fetch: d, Evaluate: d, Total: d})
			ms, _ := json.Marshal(float64(d.Microseconds()) / 1000)
			want := `{"fetch_ms":` + string(ms) + `,"eval_ms":` + string(ms) + `,"total_ms":` + string(ms) + `}`
			if string(got) != want {
				t.Fatalf("%v: got %s, want %s", d, got, want)
			}
		}
	})
	t.Run("out of range saturates, not wraps", func(t *testing.T) {
		var tm audit.Timings
		if err := json.Unmarshal([]byte(`{"fetch_ms":1e300,"eval_ms":-1e300,"total_ms":0}`), &tm); err != nil {
			t.Fatal(err)
		}
		if tm.Fetch != math.MaxInt64 || tm.Evaluate != math.MinInt64 || tm.Total != 0 {
			t.Fatalf("got %+v", tm)
		}
	})
	t.Run("not timings: an error", func(t *testing.T) {
		for _, in := range []string{`{"fetch_ms":"x"}`, `[]`, `1`} {
			var tm audit.Timings
			if err := json.Unmarshal([]byte(in), &tm); err == nil {
				t.Fatalf("%s: no error", in)
			}
		}
	})
}
