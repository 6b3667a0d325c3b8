package engine

import "testing"

// TestCounterReads: what a counter's expressions read of the report decides
// how backfill may read the log (ReadsReportOnly, ReadsChecks).
func TestCounterReads(t *testing.T) {
	cases := []struct {
		name, decl  string
		onlyUserID  bool // ReadsReportOnly("user_id")
		readsChecks bool
		columns     bool // ReadsReportOnly("user_id", "risk_score", "checks"): what SQLite keeps in columns
	}{
		{"key user_id, where on the outcome", `{ key: user_id, window: 1h, where: outcome == "deny" }`, true, false, true},
		{"key from the context, sum of it", `{ key: context.card, window: 24h, sum: context.amount }`, true, false, true},
		{"fired() and now()", `{ key: user_id, window: 1h, where: 'fired("big") && now().Hour() >= 0' }`, true, false, true},
		{"session_id", `{ key: session_id, window: 1h }`, false, false, false},
		{"risk_score", `{ key: user_id, window: 1h, where: risk_score > 70 }`, false, false, true},
		{"sum of risk_score", `{ key: user_id, window: 1h, sum: risk_score }`, false, false, true},
		{"tags", `{ key: user_id, window: 1h, where: '"vip" in tags' }`, false, false, false},
		{"a device check", `{ key: user_id, window: 1h, where: device_checks.vpn == "Detected" }`, false, true, true},
		{"a biometric check and the score", `{ key: user_id, window: 1h, where: 'biometric_checks.all_pasted == "Detected" && risk_score > 5' }`, false, true, true},
		{"an undocumented check", `{ key: user_id, window: 1h, where: 'device_checks["made_up"] == "Detected"' }`, false, true, false},
		{"a check group whole", `{ key: user_id, window: 1h, where: len(biometric_checks) > 0 }`, false, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := "name: reads\ndefault: allow\non_error: review\ncontext: { amount: number, card: string }\ncounters:\n  c: " + tc.decl +
				"\nrules:\n  - { id: big, when: 'counters.c > 1', action: review }\n"
			set, err := LoadSources("rules", []Source{{File: "rules/reads.yaml", Data: []byte(src)}})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			d := set.Counters()[0]
			if got := d.ReadsReportOnly("user_id"); got != tc.onlyUserID {
				t.Errorf("ReadsReportOnly(user_id) = %v, want %v", got, tc.onlyUserID)
			}
			if got := d.ReadsReportOnly("user_id", "risk_score", "checks"); got != tc.columns {
				t.Errorf("ReadsReportOnly(user_id, risk_score, checks) = %v, want %v", got, tc.columns)
			}
			if got := d.ReadsChecks(); got != tc.readsChecks {
				t.Errorf("ReadsChecks() = %v, want %v", got, tc.readsChecks)
			}
		})
	}
}
