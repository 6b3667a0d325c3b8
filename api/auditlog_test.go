package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// TestTraceOf checks the record-to-trace mapping field by field, and that the
// stored answer survives the store's encoding byte for byte, escapes included.
func TestTraceOf(t *testing.T) {
	live := engine.Decision{Policy: engine.PolicyRef{Name: "checkout", Version: "v1"}, Outcome: engine.Deny, Reason: "rules",
		FiredRules: []engine.FiredRule{{ID: "high-risk-score", Action: engine.Deny, Description: "score <70> & more"}}}
	res := decision.Result{
		DecisionID: "0193e6a0-0000-7000-8000-000000000001", DecidedAt: time.Now().UTC().Truncate(time.Microsecond), SessionID: "s-1",
		Context: json.RawMessage("null"), Report: &report.Report{UserID: "u-1", Tags: []string{"checkout-flow"}, Raw: json.RawMessage(`{"session_id": "s-1"}`)},
		ReportStatus: "ok", Live: live, ShadowError: "context.amount: want a number", MonitorOnly: true,
		Timings: audit.Timings{Fetch: time.Millisecond, Evaluate: 20 * time.Microsecond, Total: 1100 * time.Microsecond},
	}
	resp := newDecisionResponse(&res)
	answer, err := appendDecision(nil, &resp)
	if err != nil {
		t.Fatal(err)
	}
	rec := &DecisionRecord{Result: res, KeyID: "checkout", IdempotencyKey: "order-1",
		RequestBody: []byte(`{"session_id":"s-1"}`), ResponseBody: answer}
	tr := TraceOf(rec)
	cases := []struct {
		name      string
		got, want any
	}{
		{"id", tr.ID, rec.DecisionID},
		{"user from the report", tr.UserID, "u-1"},
		{"tags from the report", len(tr.Tags), 1},
		{"null context dropped", len(tr.Context), 0},
		{"answered outcome", tr.Outcome, engine.Allow},
		{"would-be outcome", tr.WouldBeOutcome, engine.Deny},
		{"policy outcome for replay", tr.PolicyOutcome(), engine.Deny},
		{"shadow error", tr.ShadowError, "context.amount: want a number"},
		{"request hash", tr.RequestHash, audit.RequestHash(rec.RequestBody)},
		{"total", tr.Timings.Total, 1100 * time.Microsecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Fatalf("got %v, want %v", c.got, c.want)
			}
		})
	}
	t.Run("answer byte-exact through the stored encoding", func(t *testing.T) {
		row, err := audit.EncodeRow(tr, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		back, err := audit.DecodeRow(row.Body, row.Report)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Answer, answer) || !bytes.Contains(answer, []byte(`\u003c70\u003e \u0026`)) {
			t.Fatalf("stored answer\n%s\nwant\n%s", back.Answer, answer)
		}
	})
}
