package audittest

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// Dump returns every byte a log's database holds for its traces (for
// SQLite, the file and its write-ahead log; for PostgreSQL, every column of
// every row as text), so a test can look for a value that must not be there.
type Dump func(t *testing.T, url string) []byte

// Clear values the masking test sends; none may reach the database.
const (
	clearEmail = "alice.clear@example.org"
	clearCard  = "card-fp-7f3a9c0e-clear"
	clearUser  = "user-clear-0042"
)

// maskedTrace is a trace holding the clear values everywhere a trace can:
// the context, the report's user_id, the user_id column, a fired rule's
// inputs, the shadow's and the stored answer.
func maskedTrace(i int) *audit.Trace {
	t := SampleTrace(i)
	t.Context = json.RawMessage(`{"amount": 120.5, "email": "` + clearEmail + `", "card_fingerprint": "` + clearCard + `", "country": "FR"}`)
	t.Report = bytes.Replace(Report, []byte(`"user-456"`), []byte(`"`+clearUser+`"`), 1)
	t.UserID = clearUser
	in := engine.Inputs{{Path: "context.email", Value: clearEmail}, {Path: "context.card_fingerprint", Value: clearCard},
		{Path: "user_id", Value: clearUser}, {Path: "risk_score", Value: float64(75)}}
	t.Outcome, t.Reason = engine.Review, engine.ReasonRules
	t.FiredRules = []engine.FiredRule{{ID: "known-card", Action: engine.Review, Inputs: in}}
	t.Shadow = &audit.Shadow{Policy: t.Policy, Outcome: engine.Review, FiredRules: []engine.FiredRule{{ID: "known-card", Action: engine.Review, Inputs: in}}}
	t.Answer = json.RawMessage(`{"decision_id":"x","session_id":"` + t.SessionID + `","outcome":"review","fired_rules":[{"id":"known-card","action":"review","inputs":{"context.card_fingerprint":"` +
		clearCard + `","context.email":"` + clearEmail + `","user_id":"` + clearUser + `"}}]}`)
	return t
}

// RunMask checks masking on a backend: what a log stores of masked fields,
// that dump finds no clear value, and that searching by a masked field
// masks the query.
func RunMask(t *testing.T, newURL NewURL, dump Dump) {
	ctx := context.Background()
	mask, err := audit.NewMask([]string{"context.email", "context.card_fingerprint:remove", "user_id"}, []byte("0123456789abcdef-test-key"))
	if err != nil {
		t.Fatal(err)
	}
	url := newURL(t)
	s := MustOpen(t, url, audit.Options{Mask: mask})
	tr := maskedTrace(0)
	answer := append([]byte(nil), tr.Answer...)
	MustAppend(t, s, tr, maskedTrace(1))
	if !bytes.Equal(tr.Answer, answer) || tr.UserID != clearUser {
		t.Fatal("Append changed the caller's trace: the answer must stay what the caller got")
	}
	got, err := s.Get(ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Masked, []string{"context.email", "user_id"}) || !slices.Equal(got.Erased, []string{"context.card_fingerprint"}) {
		t.Fatalf("masked %v, erased %v", got.Masked, got.Erased)
	}
	wantUser := mask.String("user_id", clearUser)
	if got.UserID != wantUser || !strings.HasPrefix(wantUser, audit.MaskPrefix) {
		t.Fatalf("user_id stored as %q, want %q", got.UserID, wantUser)
	}
	if v, _ := got.FiredRules[0].Inputs.Get("context.email"); v != mask.String("context.email", clearEmail) {
		t.Fatalf("fired rule input context.email stored as %v", v)
	}
	if _, ok := got.FiredRules[0].Inputs.Get("context.card_fingerprint"); ok {
		t.Fatal("a removed field is still among the fired rule's inputs")
	}
	var cx map[string]any
	if err := json.Unmarshal(got.Context, &cx); err != nil || cx["amount"] != 120.5 || cx["country"] != "FR" || cx["card_fingerprint"] != nil {
		t.Fatalf("context stored as %s (%v)", got.Context, err)
	}
	if !json.Valid(got.Report) || !bytes.Contains(got.Report, []byte(wantUser)) || !json.Valid(got.Answer) {
		t.Fatalf("report or answer not masked JSON: %s / %s", got.Report, got.Answer)
	}
	page, err := s.Query(ctx, audit.Filter{UserID: clearUser, Limit: 10})
	if err != nil || len(page.Traces) != 2 {
		t.Fatalf("search by the clear user_id finds %d traces, %v; want the 2 masked ones", len(page.Traces), err)
	}
	raw := dump(t, url)
	if len(raw) == 0 {
		t.Fatal("the dump is empty")
	}
	for _, clear := range []string{clearEmail, clearCard, clearUser} {
		if bytes.Contains(raw, []byte(clear)) {
			t.Errorf("the clear value %q is in the database", clear)
		}
	}
	if !bytes.Contains(raw, []byte(wantUser)) {
		t.Error("the dump does not hold the masked user_id: it does not show what is stored")
	}
	// The chain covers what was stored.
	if res := mustVerify(t, chainLog(t, s), audit.VerifyOptions{}); res.Break != nil || res.Verified != 2 {
		t.Fatalf("verify of a masked log: %+v", res)
	}
}
