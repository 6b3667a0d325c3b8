package report_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/report"
)

// FuzzDecodeReport checks that Decode never panics, that every error is
// an *InvalidError, and that every report it accepts keeps its
// promises: a session id, a score in 0..100, only the three check values,
// every documented check present, Raw equal to the input. The seeds (the
// fixtures in testdata/reports and the cases below, plus any failing input
// the fuzzer saves to testdata/fuzz/FuzzDecodeReport) run as an ordinary test
// under `go test`. Fuzz with:
//
//	go test -run '^$' -fuzz FuzzDecodeReport -fuzztime 60s ./report/
func FuzzDecodeReport(f *testing.F) {
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "reports", "*.json"))
	for _, p := range fixtures {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"session_id":"s","risk_score":50}`,
		`{"session_id":"s","risk_score":"50"}`, `{"session_id":"s","risk_score":50}}`,
		`{"session_id":"s","risk_score":1e400}`, `{"session_id":"s","risk_score":-0.0}`,
		`{"session_id":"s","risk_score":3,"device_checks":{"vpn":"Detected","x":"Unknown"}}`,
		`{"session_id":"s","risk_score":3,"biometric_checks":{"all_pasted":null}}`,
		`{"session_id":"s","risk_score":3,"user_logs":[{"unix_timestamp":1.5}]}`,
		`{"session_id":"\u0000","risk_score":3,"tags":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rep, err := report.Decode(raw)
		if err != nil {
			var ire *report.InvalidError
			if !errors.As(err, &ire) || !errors.Is(err, report.ErrInvalid) {
				t.Fatalf("error %T %v is not an *InvalidError", err, err)
			}
			if rep != nil {
				t.Fatalf("a report and an error")
			}
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted invalid JSON %q", raw)
		}
		if rep.SessionID == "" {
			t.Fatal("accepted a report without session_id")
		}
		if rep.RiskScore < 0 || rep.RiskScore > 100 {
			t.Fatalf("accepted risk_score %d", rep.RiskScore)
		}
		if string(rep.Raw) != string(raw) {
			t.Fatal("Raw differs from the input")
		}
		for group, checks := range map[string]report.Checks{"biometric": rep.BiometricChecks, "device": rep.DeviceChecks} {
			for name, v := range checks {
				if !v.Valid() {
					t.Fatalf("%s check %q has value %q", group, name, v)
				}
			}
		}
		for _, n := range report.BiometricCheckNames {
			if _, ok := rep.BiometricChecks[n]; !ok {
				t.Fatalf("biometric check %s missing", n)
			}
		}
		for _, n := range report.DeviceCheckNames {
			if _, ok := rep.DeviceChecks[n]; !ok {
				t.Fatalf("device check %s missing", n)
			}
		}
	})
}
