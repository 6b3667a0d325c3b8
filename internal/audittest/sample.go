package audittest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// Report is a realistic Roundtable report (about 1.7 KB, with its original
// indentation, so byte-exact storage is visible).
//
//go:embed testdata/report.json
var Report []byte

// Base is the decided_at of SampleTrace(0); sample i is i seconds later.
var Base = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// Outcomes, sessions, users and policy versions that samples cycle through.
var (
	sampleOutcomes = []engine.Outcome{engine.Allow, engine.Review, engine.Deny}
	sampleVersions = []string{
		"5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"7d793037a0760186574b0282f2f435e7bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	}
	sampleRules = []string{"very-high-risk", "bot-behind-anonymizer", "big-basket-automation"}
)

// SampleTrace is a deterministic, realistic trace (about 3 KB stored): the
// report, a context, fired rules with their inputs, a shadow result on every
// fourth, and fields that vary with i so filters have something to select.
func SampleTrace(i int) *audit.Trace {
	out := sampleOutcomes[i%3]
	t := &audit.Trace{
		DecidedAt:    Base.Add(time.Duration(i) * time.Second),
		KeyID:        fmt.Sprintf("key-%d", i%2),
		SessionID:    fmt.Sprintf("sess-%d", i%7),
		UserID:       fmt.Sprintf("user-%d", i%5),
		Tags:         []string{"intake-survey", "checkout-flow"},
		Context:      json.RawMessage(fmt.Sprintf(`{"amount": %d.50, "currency": "EUR", "country": "FR", "order_id": "ord-%08d", "items": 3, "channel": "web", "first_purchase": %t}`, 100+i%900, i, i%3 == 0)),
		Report:       Report,
		ReportStatus: "ok",
		Policy:       engine.PolicyRef{Name: "checkout", Version: sampleVersions[i%2]},
		Outcome:      out,
		Reason:       engine.ReasonDefault,
		FiredRules:   []engine.FiredRule{},
		Timings:      audit.Timings{Fetch: 12500 * time.Microsecond, Evaluate: 40 * time.Microsecond, Total: 13100 * time.Microsecond},
	}
	if i%2 == 0 { // the other half as traces stored before the report's columns
		score := 75 // Report's
		t.RiskScore, t.CheckCodes = &score, sampleCodes
	}
	if out != engine.Allow {
		t.Reason = engine.ReasonRules
		// rules fired: rule i%3 always, and rule (i+1)%3 on even i
		for _, k := range firedRuleIndexes(i) {
			t.FiredRules = append(t.FiredRules, engine.FiredRule{
				ID: sampleRules[k], Action: out,
				Description: "Roundtable scores the session in its top band, " + strings.Repeat("and more ", 10),
				Inputs: engine.Inputs{
					{Path: "context.amount", Value: float64(100+i%900) + 0.5},
					{Path: "device_checks.bot", Value: "Detected"},
					{Path: "device_checks.vpn", Value: "Detected"},
					{Path: "risk_score", Value: float64(75)},
				},
			})
		}
	}
	if i%4 == 0 {
		t.Shadow = &audit.Shadow{
			Policy:     engine.PolicyRef{Name: "checkout-next", Version: sampleVersions[(i+1)%2]},
			Outcome:    engine.Review,
			Reason:     engine.ReasonRules,
			FiredRules: []engine.FiredRule{{ID: "big-basket-automation", Action: engine.Review, Inputs: engine.Inputs{{Path: "context.amount", Value: float64(500)}}}},
		}
	}
	return t
}

// SampleFires lists the ids of the rules that fire in SampleTrace(i).
func SampleFires(i int) []string {
	if sampleOutcomes[i%3] == engine.Allow {
		return nil
	}
	var ids []string
	for _, k := range firedRuleIndexes(i) {
		ids = append(ids, sampleRules[k])
	}
	return ids
}

func firedRuleIndexes(i int) []int {
	if i%2 == 0 {
		return []int{i % 3, (i + 1) % 3}
	}
	return []int{i % 3}
}

// sampleCodes are Report's documented checks (report.DocumentedCodes).
var sampleCodes = func() []byte {
	r, err := report.Decode(Report)
	if err != nil {
		panic("audittest.Report does not decode: " + err.Error())
	}
	return r.DocumentedCodes()
}()
