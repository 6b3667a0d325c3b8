package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/verdicthq/verdict/report"
)

func mustPolicy(t testing.TB, yaml string) *Policy {
	t.Helper()
	p, err := ParsePolicy("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse policy: %v", err)
	}
	return p
}

func mustReport(t testing.TB, json string) *report.Report {
	t.Helper()
	r, err := report.Decode([]byte(json))
	if err != nil {
		t.Fatalf("decode report: %v", err)
	}
	return r
}

const evalPolicy = `
name: eval
default: allow
on_error: review
strategy: %s
context:
  amount: number
variables:
  anonymized: device_checks.vpn == "Detected" || device_checks.tor == "Detected"
rules:
  - id: score
    when: risk_score >= 70
    action: deny
  - id: anon
    description: hidden origin
    when: anonymized
    action: review
  - id: big
    when: context.amount >= 500
    action: review
  - id: future
    when: device_checks["headless_gpu"] == "Detected"
    action: deny
`

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name     string
		strategy string
		report   string
		ctx      map[string]any
		outcome  Outcome
		reason   string
		fired    []string
		errRule  string
	}{
		{"nothing fires: default", "most_severe", `{"session_id":"a","risk_score":10}`, map[string]any{"amount": 1}, Allow, ReasonDefault, nil, ""},
		{"worst action wins", "most_severe", `{"session_id":"a","risk_score":90,"device_checks":{"vpn":"Detected"}}`, map[string]any{"amount": 1}, Deny, ReasonRules, []string{"score", "anon"}, ""},
		{"first match decides", "first_match", `{"session_id":"a","risk_score":90,"device_checks":{"vpn":"Detected"}}`, map[string]any{"amount": 1}, Deny, ReasonRules, []string{"score"}, ""},
		{"first match: a later review", "first_match", `{"session_id":"a","risk_score":10,"device_checks":{"tor":"Detected"}}`, map[string]any{"amount": 1}, Review, ReasonRules, []string{"anon"}, ""},
		{"future check by index", "most_severe", `{"session_id":"a","risk_score":10,"device_checks":{"headless_gpu":"Detected"}}`, map[string]any{"amount": 1}, Deny, ReasonRules, []string{"future"}, ""},
		{"missing declared context: rule error, on_error", "most_severe", `{"session_id":"a","risk_score":10}`, nil, Review, ReasonOnError, nil, "big"},
		{"wrong context type: on_error", "most_severe", `{"session_id":"a","risk_score":90}`, map[string]any{"amount": "120.00"}, Review, ReasonOnError, nil, ""},
		{"int context accepted", "most_severe", `{"session_id":"a","risk_score":10}`, map[string]any{"amount": 900}, Review, ReasonRules, []string{"big"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPolicy(t, fmt.Sprintf(evalPolicy, tc.strategy))
			d := p.Evaluate(Facts{Report: mustReport(t, tc.report), Context: tc.ctx})
			if d.Outcome != tc.outcome || d.Reason != tc.reason {
				t.Errorf("got %s/%s, want %s/%s (errors %v)", d.Outcome, d.Reason, tc.outcome, tc.reason, d.RuleErrors)
			}
			var ids []string
			for _, f := range d.FiredRules {
				ids = append(ids, f.ID)
			}
			if !reflect.DeepEqual(ids, tc.fired) {
				t.Errorf("fired %v, want %v", ids, tc.fired)
			}
			if tc.errRule != "" && (len(d.RuleErrors) != 1 || d.RuleErrors[0].RuleID != tc.errRule || !strings.HasPrefix(d.RuleErrors[0].Position, "test.yaml:")) {
				t.Errorf("rule errors %+v, want one for %s with a position", d.RuleErrors, tc.errRule)
			}
			if d.Policy.Name != "eval" || len(d.Policy.Version) != 64 {
				t.Errorf("policy ref %+v", d.Policy)
			}
		})
	}
}

func TestExplainInputs(t *testing.T) {
	p := mustPolicy(t, fmt.Sprintf(evalPolicy, "most_severe"))
	d := p.Evaluate(Facts{Report: mustReport(t, `{"session_id":"a","risk_score":82,"device_checks":{"vpn":"Detected"}}`), Context: map[string]any{"amount": 600.0}})
	want := map[string]Inputs{
		"score": {{"risk_score", 82}},
		"anon":  {{"device_checks.tor", "Unknown"}, {"device_checks.vpn", "Detected"}},
		"big":   {{"context.amount", 600.0}},
	}
	if len(d.FiredRules) != 3 {
		t.Fatalf("fired %+v", d.FiredRules)
	}
	for _, f := range d.FiredRules {
		if !reflect.DeepEqual(f.Inputs, want[f.ID]) {
			t.Errorf("%s inputs %v, want %v", f.ID, f.Inputs, want[f.ID])
		}
	}
	if d.FiredRules[1].Description != "hidden origin" {
		t.Errorf("description %q", d.FiredRules[1].Description)
	}
}

func TestRuntimeErrorsNeverPanic(t *testing.T) {
	p := mustPolicy(t, `
name: rt
default: allow
on_error: deny
rules:
  - id: div
    when: 10 / (risk_score - risk_score) > 1
    action: review
  - id: untyped
    when: context.flag
    action: review
  - id: not-a-number
    when: int(risk_explanation) > 0
    action: review
`)
	// A rule building a range of a million (the run-time error here before)
	// no longer loads: testdata/hostile/policies has it.
	for _, ctx := range []map[string]any{nil, {"flag": "yes"}, {"flag": []any{1}}, {"flag": true}} {
		d := p.Evaluate(Facts{Report: mustReport(t, `{"session_id":"a","risk_score":0}`), Context: ctx})
		if d.Outcome != Deny || d.Reason != ReasonOnError || len(d.RuleErrors) == 0 {
			t.Errorf("ctx %v: got %s/%s %v, want on_error deny", ctx, d.Outcome, d.Reason, d.RuleErrors)
		}
	}
	if d := p.Evaluate(Facts{Report: nil, Context: nil}); d.Outcome != Deny || d.Reason != ReasonOnError {
		t.Errorf("nil report: %+v", d)
	}
	if f := p.Fallback(); f.Outcome != Deny || f.Reason != ReasonOnError {
		t.Errorf("fallback %+v", f)
	}
}

func TestCheckContext(t *testing.T) {
	p := mustPolicy(t, `
name: ctx
default: allow
on_error: review
context: {amount: number, country: string, returning: bool}
rules:
  - {id: a, when: 'context.amount > 1 && context.country == "FR" && context.returning', action: deny}
`)
	tests := []struct {
		ctx   map[string]any
		field string
	}{
		{map[string]any{"amount": 1.5, "country": "FR", "returning": true}, ""},
		{map[string]any{}, ""},
		{map[string]any{"amount": "120.00"}, "amount"},
		{map[string]any{"amount": 1, "country": 33}, "country"},
		{map[string]any{"returning": "yes"}, "returning"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.ctx), func(t *testing.T) {
			err := p.CheckContext(tc.ctx)
			ce, _ := err.(*ContextError)
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.field != "" && (ce == nil || ce.Field != tc.field):
				t.Errorf("got %v, want a ContextError on %s", err, tc.field)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"base.yaml":   "name: base\ndefault: allow\non_error: review\nrules:\n  - {id: a, when: risk_score > 90, action: deny}\n",
		"web.yaml":    "name: web\nmatch: {tags: [checkout-flow]}\ndefault: allow\non_error: review\nrules:\n  - {id: a, when: risk_score > 80, action: deny}\n",
		"app.yaml":    "name: app\nmatch: {tags: [app]}\ndefault: allow\non_error: review\nrules:\n  - {id: a, when: risk_score > 80, action: deny}\n",
		"shadow.yaml": "name: shadow\nmode: shadow\nmatch: {tags: [checkout-flow]}\ndefault: allow\non_error: review\nrules:\n  - {id: a, when: risk_score > 60, action: deny}\n",
		"x_test.yaml": "not: a policy",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tags         []string
		live, shadow string
	}{
		{nil, "base", ""},
		{[]string{"other"}, "base", ""},
		{[]string{"checkout-flow"}, "web", "shadow"},
		{[]string{"app", "checkout-flow"}, "app", "shadow"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.tags), func(t *testing.T) {
			live, shadow := s.Select(tc.tags)
			if live.Name() != tc.live {
				t.Errorf("live %s, want %s", live.Name(), tc.live)
			}
			got := ""
			if shadow != nil {
				got = shadow.Name()
			}
			if got != tc.shadow {
				t.Errorf("shadow %q, want %q", got, tc.shadow)
			}
		})
	}
	if n := len(s.Policies()); n != 4 {
		t.Errorf("%d policies, want 4", n)
	}
	if s.LoadedAt().IsZero() {
		t.Error("LoadedAt is zero")
	}
}

func TestVersionIsFileHash(t *testing.T) {
	s, err := LoadDir("../rules")
	if err != nil {
		t.Fatal(err)
	}
	live, _ := s.Select([]string{"checkout-flow"})
	data, _ := os.ReadFile("../rules/checkout.yaml")
	if got := live.Ref().Version; got != sha256hex(data) {
		t.Errorf("version %s is not the file's sha256", got)
	}
}

func TestConcurrentEvaluate(t *testing.T) {
	s, err := LoadDir("../rules")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Select(nil)
	reports := map[string]Outcome{"demo-allow": Allow, "demo-review": Review, "demo-deny": Deny}
	var wg sync.WaitGroup
	for id, want := range reports {
		data, err := os.ReadFile("../testdata/reports/" + id + ".json")
		if err != nil {
			t.Fatal(err)
		}
		r := mustReport(t, string(data))
		for range 4 {
			wg.Go(func() {
				for range 200 {
					if d := p.Evaluate(Facts{Report: r, Context: map[string]any{"amount": 10}}); d.Outcome != want {
						t.Errorf("%s: %s, want %s", id, d.Outcome, want)
						return
					}
				}
			})
		}
	}
	wg.Wait()
}

func TestShippedSuite(t *testing.T) {
	s, err := LoadDir("../rules")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.RunSuite("../rules/checkout_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		if !c.Passed {
			t.Errorf("%s: %v", c.Name, c.Problems)
		}
	}
	if len(res.Uncovered) > 0 {
		t.Errorf("the suite leaves rules untested: %v", res.Uncovered)
	}
}
