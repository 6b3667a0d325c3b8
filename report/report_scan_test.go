package report

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// scanSeeds are inputs on which the fast path and encoding/json could
// plausibly part ways: duplicates, nulls, case-folded and escaped names,
// escapes and odd UTF-8 in values, odd numbers, user_logs of other shapes.
var scanSeeds = []string{
	`{"session_id":"s","risk_score":50}`,
	` {"session_id":"s","risk_score":50} `,
	`{"session_id":"s","risk_score":50,}`,
	`{"session_id":"s","session_id":null,"risk_score":50}`,
	`{"session_id":"a","session_id":"b","risk_score":50}`,
	`{"SESSION_ID":"s","Risk_Score":50,"TAGS":["x"]}`,
	`{"ſession_id":"s","risk_score":50}`,
	`{"session\u005fid":"s","risk_score":50}`,
	`{"session_id":"s\"q\u00e9\ud800","risk_score":50}`,
	`{"session_id":"s","risk_explanation":"caf\u00e9 ☕","risk_score":50}`,
	"{\"session_id\":\"s\xff\",\"risk_score\":50}",
	"{\"session_id\":\"s\",\"x\":\"\xff\\u12\",\"risk_score\":50}",
	`{"session_id":"s","risk_score":050}`,
	`{"session_id":"s","risk_score":-0.0e+1}`,
	`{"session_id":"s","risk_score":100.000}`,
	`{"session_id":"s","risk_score":1.}`,
	`{"session_id":"s","risk_score":50,"tags":[]}`,
	`{"session_id":"s","risk_score":50,"tags":null}`,
	`{"session_id":"s","risk_score":50,"tags":[null,"a"]}`,
	`{"session_id":"s","risk_score":50,"user_logs":[]}`,
	`{"session_id":"s","risk_score":50,"user_logs":[null,{}]}`,
	`{"session_id":"s","risk_score":50,"user_logs":[{"ACTION":"a","action":null,"unix_timestamp":-0,"x":[{}]}]}`,
	`{"session_id":"s","risk_score":50,"user_logs":[{"unix_timestamp":9223372036854775807}]}`,
	`{"session_id":"s","risk_score":50,"user_logs":[{"unix_timestamp":9223372036854775808}]}`,
	`{"session_id":"s","risk_score":50,"user_logs":[{"unix_timestamp":1e3}]}`,
	`{"session_id":"s","risk_score":50,"user_logs":[1]}`,
	`{"session_id":"s","risk_score":50,"device_checks":{}}`,
	`{"session_id":"s","risk_score":50,"device_checks":null}`,
	`{"session_id":"s","risk_score":50,"device_checks":{"vpn":"bad","vpn":"Detected"}}`,
	`{"session_id":"s","risk_score":50,"device_checks":{"vpn":"Detected","vpn":"Unknown"}}`,
	`{"session_id":"s","risk_score":50,"device_checks":{"v\u0070n":"Detect\u0065d","":"Unknown"}}`,
	`{"session_id":"s","risk_score":50,"device_checks":{"vpn":"Detected"},"device_checks":{"tor":"Detected"}}`,
	`{"session_id":"s","risk_score":50,"extra":{"a":[1,-2.5e3,true,false,null,"\n",{"b":{}}]}}`,
	`{"session_id":"s","risk_score":50,"extra":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
}

// scanCorpus returns every report fixture of the repository plus scanSeeds.
func scanCorpus(t testing.TB) [][]byte {
	var corpus [][]byte
	for _, pattern := range []string{
		filepath.Join("testdata", "reports", "*.json"),
		filepath.Join("..", "testdata", "reports", "*.json"),
		filepath.Join("..", "testdata", "reports", "invalid", "*.json"),
		filepath.Join("..", "audit", "audittest", "testdata", "report.json"),
	} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			corpus = append(corpus, b)
		}
	}
	for _, s := range scanSeeds {
		corpus = append(corpus, []byte(s))
	}
	return corpus
}

// checkScanMatchesStd fails when scanReport accepts raw with a result other
// than decodeReportStd's.
func checkScanMatchesStd(t *testing.T, raw []byte) {
	t.Helper()
	got, ok := scanReport(raw)
	if !ok {
		return // decodeReportStd decides
	}
	want, err := decodeReportStd(raw, false)
	if err != nil {
		t.Fatalf("fast path accepted %q, encoding/json says %v", raw, err)
	}
	got.Raw = raw
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast path and encoding/json differ on %q\nfast %#v\n std %#v", raw, got, want)
	}
}

func TestScanReportMatchesStd(t *testing.T) {
	for i, raw := range scanCorpus(t) {
		t.Run(string(rune('a'+i%26))+"/"+truncate(string(raw), 40), func(t *testing.T) {
			checkScanMatchesStd(t, raw)
		})
	}
}

// TestScanReportTakesUsualReports makes sure the fast path is the one taken
// for the reports Roundtable sends, so that it cannot silently stop working.
func TestScanReportTakesUsualReports(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "reports", "*.json"))
	paths = append(paths,
		filepath.Join("testdata", "reports", "full.json"),
		filepath.Join("testdata", "reports", "old.json"),
		filepath.Join("testdata", "reports", "future.json"),
		filepath.Join("..", "audit", "audittest", "testdata", "report.json"),
	)
	if len(paths) < 10 {
		t.Fatalf("found only %d fixtures", len(paths))
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := scanReport(raw); !ok {
				t.Errorf("fast path declined %s", p)
			}
		})
	}
}

// FuzzScanReport checks that the fast path never panics and never accepts
// an input with a result different from encoding/json's. Fuzz with:
//
//	go test -run '^$' -fuzz FuzzScanReport -fuzztime 60s ./report/
func FuzzScanReport(f *testing.F) {
	for _, raw := range scanCorpus(f) {
		f.Add(raw)
	}
	f.Fuzz(checkScanMatchesStd)
}
