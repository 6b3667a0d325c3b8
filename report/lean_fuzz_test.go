package report_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/verdicthq/verdict/report"
)

// FuzzDecodeScalars is a differential fuzz of DecodeScalars against
// Decode: every report Decode accepts, DecodeScalars accepts too, with
// the same session_id, user_id, tags, risk_score, risk_explanation and
// recommended_action (what backfilled counters read instead of the whole
// decode). The seeds are the report fixtures and cases of duplicate and
// case-folded names, nulls and escapes. Fuzz with:
//
//	go test -run '^$' -fuzz FuzzDecodeScalars -fuzztime 60s ./report/
func FuzzDecodeScalars(f *testing.F) {
	fixtures, _ := filepath.Glob(filepath.Join("..", "testdata", "reports", "*.json"))
	for _, p := range fixtures {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"session_id":"s","risk_score":50,"user_id":"a","user_id":"b"}`,
		`{"session_id":"s","risk_score":50,"USER_ID":"a","tags":["x"],"Tags":null}`,
		`{"session_id":"s","risk_score":50,"user_id":null,"user_id":"b","risk_score":7.0}`,
		`{"session_id":"s","risk_score":5,"user_\u0069d":"esc","device_checks":{"vpn":"Detected"},"user_logs":[1]}`,
		`{"session_id":"s","risk_score":5,"tags":["a","a\u00e9"],"recommended_action":"x","risk_explanation":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		full, err := report.Decode(raw)
		if err != nil {
			return
		}
		lean, err := report.DecodeScalars(raw)
		if err != nil {
			t.Fatalf("Decode accepts, DecodeScalars refuses: %v", err)
		}
		if lean.SessionID != full.SessionID || lean.UserID != full.UserID || !slices.Equal(lean.Tags, full.Tags) ||
			lean.RiskScore != full.RiskScore || lean.RiskExplanation != full.RiskExplanation || lean.RecommendedAction != full.RecommendedAction {
			t.Fatalf("DecodeScalars %+v\nDecode        %+v", lean, full)
		}
	})
}
