package api_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestLoopHostileInputs runs testdata/hostile/loop/api-inputs.json.
func TestLoopHostileInputs(t *testing.T) {
	raw, err := os.ReadFile("../testdata/hostile/loop/api-inputs.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []struct {
			Name, Method, Path, Key, Body, Code string
			Status                              int
		}
	}
	if err := json.Unmarshal(raw, &corpus); err != nil || len(corpus.Cases) == 0 {
		t.Fatalf("corpus: %d cases, %v", len(corpus.Cases), err)
	}
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: logBackends()[0].open(t)})
	review := h.decide(`{"session_id":"t-review"}`).decision(t)
	deny := h.decide(`{"session_id":"t-deny"}`).decision(t)
	keys := map[string]string{"analyst": keyAnalyst, "auditor": keyAuditor, "ops": keyOps}
	big := regexp.MustCompile(`\{big:(\d+)\}`)
	expand := func(s string) string {
		s = strings.NewReplacer("{review}", review.DecisionID, "{deny}", deny.DecisionID).Replace(s)
		return big.ReplaceAllStringFunc(s, func(m string) string {
			n, _ := strconv.Atoi(big.FindStringSubmatch(m)[1])
			return strings.Repeat("x", n)
		})
	}
	for _, c := range corpus.Cases {
		t.Run(c.Name, func(t *testing.T) {
			r := req{method: c.Method, path: expand(c.Path), key: keys[c.Key], body: expand(c.Body)}
			if r.body != "" {
				r.ctype = "application/json"
			}
			res := h.do(r)
			if res.status != c.Status || res.errorCode(t) != c.Code {
				t.Fatalf("%d %.300s, want %d %s", res.status, res.body, c.Status, c.Code)
			}
		})
	}
	// The review is still open and unlabelled after all that.
	if got := decodeInto[reviewView](t, h.do(req{method: "GET", path: "/v1/reviews/" + review.DecisionID, key: keyAuditor})); got.Status != "open" || len(got.Events) != 1 {
		t.Fatalf("review after the hostile requests: %+v", got)
	}
}
