package api_test

import (
	"encoding/json"
	"os"
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
}

// TestEvaluateHostileNow runs the "now" values of
// testdata/hostile/pipeline/evaluate-now.json.
func TestEvaluateHostileNow(t *testing.T) {
	raw, err := os.ReadFile("../testdata/hostile/pipeline/evaluate-now.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []struct {
			Name, Now, Code string
			Status          int
			DecidedAt       string `json:"decided_at"`
		}
	}
	if err := json.Unmarshal(raw, &corpus); err != nil || len(corpus.Cases) == 0 {
		t.Fatalf("corpus: %d cases, %v", len(corpus.Cases), err)
	}
	h := newHarness(t, harnessOpts{rules: "testdata/rules"})
	report := `{"session_id":"inline-1","tags":["checkout-flow"],"risk_score":61}`
	for _, c := range corpus.Cases {
		t.Run(c.Name, func(t *testing.T) {
			res := h.do(req{method: "POST", path: "/v1/evaluate", key: keyRisk, ctype: "application/json", body: `{"report":` + report + `,"now":` + c.Now + `}`})
			if res.status != c.Status || c.Code != "" && res.errorCode(t) != c.Code {
				t.Fatalf("got %d %s; want %d %s", res.status, res.body, c.Status, c.Code)
			}
			if c.DecidedAt != "" && !strings.Contains(string(res.body), `"decided_at":"`+c.DecidedAt+`"`) {
				t.Fatalf("want decided_at %s: %s", c.DecidedAt, res.body)
			}
		})
	}
}
