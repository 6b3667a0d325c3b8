package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// nowPolicy reads the decision's time through now(), directly, through a
// variable and with a time zone.
const nowPolicy = `
name: timed
default: allow
on_error: review
variables:
  after_cutover: now() >= date("2031-01-01T00:00:00Z")
rules:
  - id: cutover
    when: after_cutover && risk_score >= 0
    action: review
  - id: paris-new-year
    when: now(timezone("Europe/Paris")).Year() >= 2032
    action: deny
`

// TestNowIsTheDecisionTime: now() is Facts.Now, so the same report at the
// same time always gives the same decision, and a rule reading now() decides
// differently at two times. The time a rule read is in its explanation.
func TestNowIsTheDecisionTime(t *testing.T) {
	p := mustPolicy(t, nowPolicy)
	r := mustReport(t, demoReport(t, "demo-allow"))
	cases := []struct {
		name  string
		at    time.Time
		want  Outcome
		fired []string
	}{
		{"before the cutover", time.Date(2030, 12, 31, 23, 0, 0, 0, time.UTC), Allow, nil},
		{"after the cutover", time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC), Review, []string{"cutover"}},
		// 23:30 UTC on 31 December is already 2032 in Paris.
		{"new year in Paris", time.Date(2031, 12, 31, 23, 30, 0, 0, time.UTC), Deny, []string{"cutover", "paris-new-year"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			first := p.Evaluate(Facts{Report: r, Now: tc.at})
			for range 3 {
				if again := p.Evaluate(Facts{Report: r, Now: tc.at}); fmt.Sprint(again) != fmt.Sprint(first) {
					t.Fatalf("same facts, different decisions:\n%+v\n%+v", first, again)
				}
			}
			if first.Outcome != tc.want || len(first.RuleErrors) != 0 {
				t.Fatalf("got %s %+v, want %s", first.Outcome, first, tc.want)
			}
			if got := firedIDs(first); fmt.Sprint(got) != fmt.Sprint(tc.fired) && !(len(got) == 0 && tc.fired == nil) {
				t.Fatalf("fired %v, want %v", got, tc.fired)
			}
			for _, f := range first.FiredRules {
				if v, ok := f.Inputs.Get(nowKey); !ok || !v.(time.Time).Equal(tc.at) {
					t.Errorf("rule %s read now() as %v, want %v", f.ID, v, tc.at)
				}
			}
		})
	}
}

// TestZeroNowReadsTheClock: a zero Facts.Now is the documented fallback to
// the clock, read once for the decision.
func TestZeroNowReadsTheClock(t *testing.T) {
	p := mustPolicy(t, `
name: clock
default: allow
on_error: review
rules:
  - id: after-2020
    when: now() > date("2020-01-01T00:00:00Z") && now().Format("Z07:00") == "Z"
    action: review
`)
	d := p.Evaluate(Facts{Report: mustReport(t, demoReport(t, "demo-allow"))})
	if d.Outcome != Review || len(d.RuleErrors) != 0 {
		t.Fatalf("got %+v, want review (now() is the clock, in UTC)", d)
	}
}

// TestSuiteCaseNow: a suite case's now: is the time its decision is made at.
func TestSuiteCaseNow(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("timed.yaml", nowPolicy)
	report := demoReport(t, "demo-allow")
	write("allow.json", report)
	write("timed_test.yaml", `
cases:
  - name: before
    report: allow.json
    now: 2030-06-01T00:00:00Z
    expect: {outcome: allow, fired: []}
  - name: after
    report: allow.json
    now: 2031-06-01T00:00:00Z
    expect: {outcome: review, fired: [cutover]}
`)
	set, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := set.RunSuite(filepath.Join(dir, "timed_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		if !c.Passed {
			t.Errorf("case %s: %v", c.Name, c.Problems)
		}
	}
}

func demoReport(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile("../testdata/reports/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
