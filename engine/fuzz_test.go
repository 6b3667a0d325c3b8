package engine

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	reportpkg "github.com/verdicthq/verdict/report"
)

// FuzzParsePolicy loads arbitrary bytes as a policy: it must never panic nor
// take over 1 s of CPU to load (see checkLoadTime), and a policy that loads
// must decide a small report and one at the input bounds (worstReport)
// without panicking and within 50 ms of CPU each, the bound its static cost
// promises. The seed corpus is every policy under testdata/hostile/policies,
// testdata/policies and rules/, so it runs as an ordinary test too.
func FuzzParsePolicy(f *testing.F) {
	for _, glob := range []string{"../testdata/hostile/policies/*.yaml", "../testdata/policies/*/*.yaml", "../testdata/policies/sets/*/*.yaml", "../rules/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	report, err := reportpkg.Decode([]byte(`{"session_id":"fuzz","risk_score":75,"tags":["checkout-flow"],"device_checks":{"vpn":"Detected"},"biometric_checks":{"x":"Unknown"}}`))
	if err != nil {
		f.Fatal(err)
	}
	big := worstReport(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		start, cpu := time.Now(), cpuTime(t)
		p, err := ParsePolicy("fuzz.yaml", data)
		checkLoadTime(t, cpuTime(t)-cpu, time.Since(start))
		if err != nil {
			if p != nil {
				t.Fatal("a policy and an error")
			}
			les, ok := err.(LoadErrors)
			if !ok || len(les) == 0 {
				t.Fatalf("error is not LoadErrors: %v", err)
			}
			return
		}
		decls := append([]ListDecl(nil), p.Lists()...)
		for i := range decls {
			decls[i].File = "" // no rules folder here: file-backed lists are empty
		}
		for _, r := range []*reportpkg.Report{report, big} {
			ctx := map[string]any{"amount": 1.0, "flag": true}
			lists, counters, err := StaticMemory(decls, p.Counters(), "", nil, nil, Facts{Report: r, Context: ctx})
			if err != nil {
				t.Fatalf("memory: %v", err)
			}
			for _, c := range p.Counters() { // what a recorded decision adds never panics
				c.Contribution(PastDecision{Outcome: Deny, FiredRules: []string{"r"}, Report: r, Context: ctx})
			}
			cpu := cpuTime(t)
			d := p.Evaluate(Facts{Report: r, Context: ctx, Lists: lists, Counters: counters})
			if took := cpuTime(t) - cpu; took > decideBound*raceSlowdown {
				t.Fatalf("a decision took %v of CPU; a policy that loads must decide within %v", took, decideBound)
			}
			if d.Outcome.Severity() < 0 {
				t.Fatalf("outcome %q", d.Outcome)
			}
		}
	})
}
