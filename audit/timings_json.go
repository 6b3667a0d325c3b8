package audit

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// timingsMS is the JSON shape of Timings.
type timingsMS struct {
	FetchMS float64 `json:"fetch_ms"`
	EvalMS  float64 `json:"eval_ms"`
	TotalMS float64 `json:"total_ms"`
}

// MarshalJSON writes the durations in milliseconds, truncated to the
// microsecond, as encoding/json writes those float64 values.
func (t Timings) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 64)
	b = append(b, `{"fetch_ms":`...)
	b = appendMS(b, t.Fetch)
	b = append(b, `,"eval_ms":`...)
	b = appendMS(b, t.Evaluate)
	b = append(b, `,"total_ms":`...)
	b = appendMS(b, t.Total)
	return append(b, '}'), nil
}

// appendMS appends d in milliseconds: a whole number of microseconds over
// 1000, far inside the range where encoding/json uses plain 'f' notation.
func appendMS(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d.Microseconds())/1000, 'f', -1, 64)
}

// UnmarshalJSON reads what MarshalJSON writes, rounding to the microsecond.
func (t *Timings) UnmarshalJSON(data []byte) error {
	var ms timingsMS
	if err := json.Unmarshal(data, &ms); err != nil {
		return fmt.Errorf("decode timings: %w", err)
	}
	*t = Timings{Fetch: fromMS(ms.FetchMS), Evaluate: fromMS(ms.EvalMS), Total: fromMS(ms.TotalMS)}
	return nil
}

// fromMS is a duration from milliseconds, to the microsecond; values beyond
// what a Duration holds saturate.
func fromMS(ms float64) time.Duration {
	us := math.Round(ms * 1000)
	switch {
	case math.IsNaN(us):
		return 0
	case us >= math.MaxInt64/float64(time.Microsecond):
		return math.MaxInt64
	case us <= math.MinInt64/float64(time.Microsecond):
		return math.MinInt64
	}
	return time.Duration(us) * time.Microsecond
}
