package api_test

import (
	"reflect"
	"strings"
	"testing"
)

// TestEvaluateNow: the optional "now" of POST /v1/evaluate is the
// decision's time; the same input at the same time answers the same, twice.
func TestEvaluateNow(t *testing.T) {
	h := newHarness(t, harnessOpts{rules: "testdata/rules"})
	report := `{"session_id":"inline-1","tags":["checkout-flow"],"risk_score":61}`
	evaluate := func(body string) *result {
		t.Helper()
		return h.do(req{method: "POST", path: "/v1/evaluate", key: keyRisk, ctype: "application/json", body: body})
	}
	t.Run("pinned twice: the same answer but its id", func(t *testing.T) {
		body := `{"report":` + report + `,"context":{"amount":5},"now":"2031-06-01T02:00:00+02:00"}`
		first, second := evaluate(body), evaluate(body)
		if !strings.Contains(string(first.body), `"decided_at":"2031-06-01T00:00:00Z"`) {
			t.Fatalf("want decided_at 2031-06-01T00:00:00Z (UTC): %s", first.body)
		}
		a, b := first.json(t), second.json(t)
		if a["decision_id"] == b["decision_id"] {
			t.Fatalf("two dry runs share decision_id %v", a["decision_id"])
		}
		delete(a, "decision_id")
		delete(b, "decision_id")
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("same input, same time, two answers:\n%s\n%s", first.body, second.body)
		}
	})
	t.Run("null is the request's time", func(t *testing.T) {
		if d := evaluate(`{"report":` + report + `,"now":null}`).decision(t); d.DecidedAt.Year() >= 2031 || d.DecidedAt.IsZero() {
			t.Fatalf("decided_at %v", d.DecidedAt)
		}
	})
	for _, bad := range []string{`"2031-06-01"`, `"tomorrow"`, `""`, `1717200000`, `"2031-13-01T00:00:00Z"`} {
		t.Run("bad now "+bad, func(t *testing.T) {
			res := evaluate(`{"report":` + report + `,"now":` + bad + `}`)
			if res.status != 400 || res.errorCode(t) != "invalid_field" || !strings.Contains(string(res.body), "now") {
				t.Fatalf("got %d %s", res.status, res.body)
			}
		})
	}
}
