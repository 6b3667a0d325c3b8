package report_test

import (
	"testing"

	"github.com/verdicthq/verdict/report"
)

func TestCheckIndexNumbersEveryDocumentedCheckOnce(t *testing.T) {
	seen := map[int]string{}
	for _, g := range []struct {
		biometric bool
		names     []string
	}{{false, report.DeviceCheckNames}, {true, report.BiometricCheckNames}} {
		for _, n := range g.names {
			i, ok := report.CheckIndex(g.biometric, n)
			if !ok || i < 0 || i >= report.NumDocumentedChecks {
				t.Fatalf("CheckIndex(%v, %q) = %d, %v", g.biometric, n, i, ok)
			}
			if prev, dup := seen[i]; dup {
				t.Fatalf("index %d given to %s and %s", i, prev, n)
			}
			seen[i] = n
		}
	}
	if len(seen) != report.NumDocumentedChecks {
		t.Errorf("%d indexes, want %d", len(seen), report.NumDocumentedChecks)
	}
	for _, tc := range []struct {
		biometric bool
		name      string
	}{{false, "agent_behavior"}, {true, "vpn"}, {false, "emulator"}, {true, ""}} {
		if i, ok := report.CheckIndex(tc.biometric, tc.name); ok {
			t.Errorf("CheckIndex(%v, %q) = %d, want not documented", tc.biometric, tc.name, i)
		}
	}
}

// TestCheckAtAgreesWithMaps: CheckAt reads the index of a decoded report and
// the maps of a hand-built one; both must give what the maps hold, for every
// report fixture and for bodies with escaped names and duplicates.
func TestCheckAtAgreesWithMaps(t *testing.T) {
	bodies := map[string]string{
		"escaped name, duplicate": `{"session_id":"s","risk_score":1,"device_checks":{"v\u0070n":"Detected","tor":"Detected","tor":"Not detected"},"biometric_checks":{"vpn":"Detected"}}`,
		"null groups":             `{"session_id":"s","risk_score":1,"device_checks":null,"biometric_checks":null}`,
		"no groups":               `{"session_id":"s","risk_score":1}`,
	}
	for _, f := range []string{"full.json", "old.json", "future.json"} {
		bodies[f] = string(readFixture(t, f))
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			r, err := report.Decode([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			byHand := &report.Report{DeviceChecks: r.DeviceChecks, BiometricChecks: r.BiometricChecks}
			for _, g := range []struct {
				biometric bool
				names     []string
				checks    report.Checks
			}{{false, report.DeviceCheckNames, r.DeviceChecks}, {true, report.BiometricCheckNames, r.BiometricChecks}} {
				for _, n := range g.names {
					i, _ := report.CheckIndex(g.biometric, n)
					want := g.checks.Get(n)
					if got := r.CheckAt(i); got != want {
						t.Errorf("decoded CheckAt(%d) (%s) = %q, want %q", i, n, got, want)
					}
					if got := byHand.CheckAt(i); got != want {
						t.Errorf("hand-built CheckAt(%d) (%s) = %q, want %q", i, n, got, want)
					}
				}
			}
		})
	}
	if got := (&report.Report{}).CheckAt(0); got != report.Unknown {
		t.Errorf("CheckAt on a report without checks = %q, want Unknown", got)
	}
}
