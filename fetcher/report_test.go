package fetcher_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/fetcher"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reports", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// allUnknown returns the documented checks of a group, all Unknown, with
// overrides applied.
func allUnknown(names []string, set map[string]fetcher.CheckValue) fetcher.Checks {
	c := fetcher.Checks{}
	for _, n := range names {
		c[n] = fetcher.Unknown
	}
	for k, v := range set {
		c[k] = v
	}
	return c
}

func TestDecodeReportFixtures(t *testing.T) {
	tests := []struct {
		file string
		want fetcher.Report
	}{
		{
			file: "full.json",
			want: fetcher.Report{
				SessionID:         "sess-full",
				UserID:            "user-456",
				Tags:              []string{"intake-survey", "checkout-flow"},
				RiskScore:         75,
				RiskExplanation:   "User was flagged for multiple likely bot behavior, indicating a medium to high risk of fraud.",
				RecommendedAction: "Manual review or require additional verification",
				UserLogs: []fetcher.UserLog{
					{Action: "Signed in", UserTime: "Mar 25, 2025 14:30:45", UnixTimestamp: 1743055845000},
					{Action: "Updated credit card", UserTime: "Mar 25, 2025 14:32:15", UnixTimestamp: 1743055935000},
				},
				BiometricChecks: fetcher.Checks{
					"agent_behavior": fetcher.NotDetected, "programmatic_typing": fetcher.Detected,
					"teleporting_mouse": fetcher.NotDetected, "no_corrections": fetcher.Detected,
					"all_pasted": fetcher.Unknown, "jump_scrolling": fetcher.Detected,
					"centered_clicks": fetcher.Detected, "programmatic_clicking": fetcher.NotDetected,
					"external_input": fetcher.Detected,
				},
				DeviceChecks: fetcher.Checks{
					"bot": fetcher.Detected, "virtual_machine": fetcher.NotDetected,
					"software_renderer": fetcher.NotDetected, "vpn": fetcher.Detected,
					"tor": fetcher.NotDetected, "location_spoofing": fetcher.Unknown,
				},
			},
		},
		{
			file: "old.json", // before tags (March 2026) and recommended_action (May 2026)
			want: fetcher.Report{
				SessionID: "sess-old", UserID: "user-1", RiskScore: 12, RiskExplanation: "No notable signals.",
				BiometricChecks: allUnknown(fetcher.BiometricCheckNames, map[string]fetcher.CheckValue{
					"agent_behavior": fetcher.NotDetected, "programmatic_typing": fetcher.NotDetected}),
				DeviceChecks: allUnknown(fetcher.DeviceCheckNames, map[string]fetcher.CheckValue{
					"bot": fetcher.NotDetected, "vpn": fetcher.NotDetected}),
			},
		},
		{
			file: "future.json", // checks Roundtable adds later are kept
			want: fetcher.Report{
				SessionID: "sess-future", Tags: []string{"checkout-flow"}, RiskScore: 55,
				RecommendedAction: "Accept with monitoring",
				BiometricChecks: allUnknown(fetcher.BiometricCheckNames, map[string]fetcher.CheckValue{
					"agent_behavior": fetcher.Detected, "gaze_tracking": fetcher.Detected}),
				DeviceChecks: allUnknown(fetcher.DeviceCheckNames, map[string]fetcher.CheckValue{
					"bot": fetcher.NotDetected, "emulator": fetcher.NotDetected}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readFixture(t, tt.file)
			got, err := fetcher.DecodeReport(raw)
			if err != nil {
				t.Fatalf("DecodeReport: %v", err)
			}
			if string(got.Raw) != string(raw) {
				t.Errorf("Raw is not the body as received")
			}
			got.Raw = nil
			fetcher.IndexChecks(&tt.want) // the decoded index must agree with the maps
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("DecodeReport(%s)\n got %#v\nwant %#v", tt.file, *got, tt.want)
			}
		})
	}
}

func TestDecodeReportRawIsACopy(t *testing.T) {
	raw := readFixture(t, "old.json")
	rep, err := fetcher.DecodeReport(raw)
	if err != nil {
		t.Fatal(err)
	}
	raw[0] = 'X'
	if rep.Raw[0] != '{' {
		t.Fatal("Report.Raw shares the caller's buffer")
	}
}

func TestChecksGet(t *testing.T) {
	rep, err := fetcher.DecodeReport([]byte(`{"session_id":"s","risk_score":1,"device_checks":{"vpn":"Detected","later_check":"Not detected"}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  fetcher.CheckValue
		want fetcher.CheckValue
	}{
		{"present", rep.DeviceChecks.Get("vpn"), fetcher.Detected},
		{"documented but missing", rep.DeviceChecks.Get("tor"), fetcher.Unknown},
		{"whole group missing", rep.BiometricChecks.Get("agent_behavior"), fetcher.Unknown},
		{"unknown check kept", rep.DeviceChecks.Get("later_check"), fetcher.NotDetected},
		{"never heard of", rep.DeviceChecks.Get("nonexistent"), fetcher.Unknown},
		{"nil Checks", fetcher.Checks(nil).Get("vpn"), fetcher.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestDecodeReportScores(t *testing.T) {
	tests := []struct {
		score string
		want  int
	}{
		{"0", 0}, {"100", 100}, {"75", 75}, {"75.0", 75}, {"7.5e1", 75}, {"-0", 0}, {"1E2", 100},
	}
	for _, tt := range tests {
		t.Run(tt.score, func(t *testing.T) {
			rep, err := fetcher.DecodeReport([]byte(`{"session_id":"s","risk_score":` + tt.score + `}`))
			if err != nil {
				t.Fatalf("DecodeReport: %v", err)
			}
			if rep.RiskScore != tt.want {
				t.Errorf("RiskScore = %d, want %d", rep.RiskScore, tt.want)
			}
		})
	}
}

func TestDecodeReportUserLogsLenient(t *testing.T) {
	// user_logs is deprecated and read by no policy: a changed shape drops it
	// rather than making the whole report invalid. Raw still carries it.
	for _, logs := range []string{`"gone"`, `[{"unix_timestamp":"soon"}]`, `null`, `{}`} {
		t.Run(logs, func(t *testing.T) {
			rep, err := fetcher.DecodeReport([]byte(`{"session_id":"s","risk_score":5,"user_logs":` + logs + `}`))
			if err != nil {
				t.Fatalf("DecodeReport: %v", err)
			}
			if rep.UserLogs != nil {
				t.Errorf("UserLogs = %v, want nil", rep.UserLogs)
			}
		})
	}
}

func TestDecodeReportInvalid(t *testing.T) {
	const ok = `"session_id":"s","risk_score":50`
	tests := []struct {
		name      string
		body      string
		wantField string
		wantIn    string // part of the reason
	}{
		{"empty body", ``, "", "not a JSON report object"},
		{"not JSON", `hello`, "", "not a JSON report object"},
		{"array", `[1,2]`, "", "not a JSON report object"},
		{"truncated", `{"session_id":"s","risk_sc`, "", "not a JSON report object"},
		{"trailing object", `{` + ok + `}{}`, "", "after top-level value"},
		{"trailing brace", `{` + ok + `}}`, "", "after top-level value"},
		{"trailing bracket", `{` + ok + `}]`, "", "after top-level value"},
		{"trailing word", `{` + ok + `} x`, "", "after top-level value"},
		{"null", `null`, "session_id", "missing"},
		{"missing session_id", `{"risk_score":50}`, "session_id", "missing"},
		{"empty session_id", `{"session_id":"","risk_score":50}`, "session_id", "missing"},
		{"null session_id", `{"session_id":null,"risk_score":50}`, "session_id", "missing"},
		{"numeric session_id", `{"session_id":42,"risk_score":50}`, "session_id", "number"},
		{"missing risk_score", `{"session_id":"s"}`, "risk_score", "missing"},
		{"null risk_score", `{"session_id":"s","risk_score":null}`, "risk_score", "missing"},
		{"risk_score 101", `{"session_id":"s","risk_score":101}`, "risk_score", "outside 0..100"},
		{"risk_score -1", `{"session_id":"s","risk_score":-1}`, "risk_score", "outside 0..100"},
		{"risk_score huge", `{"session_id":"s","risk_score":1e400}`, "risk_score", "outside 0..100"},
		{"risk_score 2^64", `{"session_id":"s","risk_score":18446744073709551616}`, "risk_score", "outside 0..100"},
		{"risk_score fraction", `{"session_id":"s","risk_score":75.5}`, "risk_score", "not an integer"},
		{"risk_score string", `{"session_id":"s","risk_score":"75"}`, "risk_score", "not a number"},
		{"risk_score bool", `{"session_id":"s","risk_score":true}`, "risk_score", "not a number"},
		{"risk_score object", `{"session_id":"s","risk_score":{}}`, "risk_score", "not a number"},
		{"tags not strings", `{` + ok + `,"tags":[1]}`, "tags", "number"},
		{"tags a string", `{` + ok + `,"tags":"checkout"}`, "tags", "string"},
		{"user_id a number", `{` + ok + `,"user_id":7}`, "user_id", "number"},
		{"checks not an object", `{` + ok + `,"device_checks":"vpn"}`, "device_checks", "not an object"},
		{"checks an array", `{` + ok + `,"biometric_checks":["Detected"]}`, "biometric_checks", "not an object"},
		{"check lower case", `{` + ok + `,"device_checks":{"vpn":"detected"}}`, "device_checks.vpn", `"detected" is not one of`},
		{"check boolean", `{` + ok + `,"biometric_checks":{"all_pasted":true}}`, "biometric_checks.all_pasted", "true is not one of"},
		{"check null", `{` + ok + `,"biometric_checks":{"all_pasted":null}}`, "biometric_checks.all_pasted", "null is not one of"},
		{"check number", `{` + ok + `,"device_checks":{"tor":1}}`, "device_checks.tor", "1 is not one of"},
		{"check empty", `{` + ok + `,"device_checks":{"tor":""}}`, "device_checks.tor", `"" is not one of`},
		{"unknown check bad value", `{` + ok + `,"device_checks":{"new_one":"Maybe"}}`, "device_checks.new_one", `"Maybe" is not one of`},
		{"first bad check by name", `{` + ok + `,"device_checks":{"zz":"x","aa":"y"}}`, "device_checks.aa", `"y"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := fetcher.DecodeReport([]byte(tt.body))
			if err == nil {
				t.Fatalf("DecodeReport = %+v, want an error", rep)
			}
			if !errors.Is(err, fetcher.ErrInvalidReport) {
				t.Errorf("error %v does not match ErrInvalidReport", err)
			}
			if got := fetcher.Status(err); got != fetcher.StatusInvalid {
				t.Errorf("Status = %q, want %q", got, fetcher.StatusInvalid)
			}
			var ire *fetcher.InvalidReportError
			if !errors.As(err, &ire) {
				t.Fatalf("error %T is not an *InvalidReportError", err)
			}
			if ire.Field != tt.wantField {
				t.Errorf("Field = %q, want %q (error: %v)", ire.Field, tt.wantField, err)
			}
			if !strings.Contains(ire.Reason, tt.wantIn) {
				t.Errorf("Reason = %q, want it to contain %q", ire.Reason, tt.wantIn)
			}
			if tt.wantField != "" && !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error text %q does not name the field %q", err, tt.wantField)
			}
		})
	}
}

func TestInvalidReportErrorTextIsBounded(t *testing.T) {
	name := strings.Repeat("é", 500)
	body := `{"session_id":"s","risk_score":1,"device_checks":{"` + name + `":"` + strings.Repeat("ü", 500) + `"}}`
	_, err := fetcher.DecodeReport([]byte(body))
	if err == nil {
		t.Fatal("want an error")
	}
	if len(err.Error()) > 300 {
		t.Errorf("error text is %d bytes long, want it cut short", len(err.Error()))
	}
	if !strings.HasPrefix(err.Error(), "invalid report: device_checks.é") || !isValidUTF8(err.Error()) {
		t.Errorf("error text %q is not a clean cut", err)
	}
}

// TestDecodeReportEncodingJSONRules pins what DecodeReport has always
// inherited from encoding/json and must keep whichever path decodes:
// case-insensitive field names, escapes, null leaving a string alone,
// duplicate fields, merged duplicate check groups, empty vs null arrays.
func TestDecodeReportEncodingJSONRules(t *testing.T) {
	const ok = `"session_id":"s","risk_score":50`
	tests := []struct {
		name  string
		body  string
		check func(r *fetcher.Report) bool
	}{
		{"field names fold case", `{"SESSION_ID":"S","Risk_Score":7}`,
			func(r *fetcher.Report) bool { return r.SessionID == "S" && r.RiskScore == 7 }},
		{"field names fold Unicode", `{"ſession_id":"S","risk_score":7}`,
			func(r *fetcher.Report) bool { return r.SessionID == "S" }},
		{"escaped field name", `{"session\u005fid":"S","risk_score":7}`,
			func(r *fetcher.Report) bool { return r.SessionID == "S" }},
		{"escapes in values", `{` + ok + `,"risk_explanation":"a\"b\u00e9\n"}`,
			func(r *fetcher.Report) bool { return r.RiskExplanation == "a\"bé\n" }},
		{"null keeps an earlier string", `{"session_id":"a","session_id":null,"risk_score":1}`,
			func(r *fetcher.Report) bool { return r.SessionID == "a" }},
		{"last duplicate wins", `{"session_id":"a","session_id":"b","risk_score":1,"risk_score":2}`,
			func(r *fetcher.Report) bool { return r.SessionID == "b" && r.RiskScore == 2 }},
		{"duplicate check groups merge", `{` + ok + `,"device_checks":{"vpn":"Detected"},"device_checks":{"tor":"Detected"}}`,
			func(r *fetcher.Report) bool {
				return r.DeviceChecks["vpn"] == fetcher.Detected && r.DeviceChecks["tor"] == fetcher.Detected
			}},
		{"a bad check value overwritten", `{` + ok + `,"device_checks":{"vpn":"bad","vpn":"Detected"}}`,
			func(r *fetcher.Report) bool { return r.DeviceChecks["vpn"] == fetcher.Detected }},
		{"escaped check name and value", `{` + ok + `,"device_checks":{"v\u0070n":"Detect\u0065d"}}`,
			func(r *fetcher.Report) bool { return r.DeviceChecks["vpn"] == fetcher.Detected }},
		{"empty tags are not nil", `{` + ok + `,"tags":[]}`,
			func(r *fetcher.Report) bool { return r.Tags != nil && len(r.Tags) == 0 }},
		{"null tags are nil", `{` + ok + `,"tags":null}`,
			func(r *fetcher.Report) bool { return r.Tags == nil }},
		{"empty user_logs are not nil", `{` + ok + `,"user_logs":[]}`,
			func(r *fetcher.Report) bool { return r.UserLogs != nil && len(r.UserLogs) == 0 }},
		{"user_logs with null and folded names", `{` + ok + `,"user_logs":[null,{"ACTION":"a","unix_timestamp":-0}]}`,
			func(r *fetcher.Report) bool {
				return len(r.UserLogs) == 2 && r.UserLogs[0] == (fetcher.UserLog{}) && r.UserLogs[1].Action == "a"
			}},
		{"user_logs timestamp past int64 dropped", `{` + ok + `,"user_logs":[{"unix_timestamp":9223372036854775808}]}`,
			func(r *fetcher.Report) bool { return r.UserLogs == nil }},
		{"unknown fields of any shape skipped", `{` + ok + `,"later":{"a":[1,-2.5e3,true,false,null,"\n",{"b":{}}]}}`,
			func(r *fetcher.Report) bool { return r.SessionID == "s" }},
		{"invalid UTF-8 replaced", "{\"session_id\":\"s\xff\",\"risk_score\":1}",
			func(r *fetcher.Report) bool { return r.SessionID == "s\uFFFD" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := fetcher.DecodeReport([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeReport: %v", err)
			}
			if !tt.check(rep) {
				t.Errorf("DecodeReport(%s) = %+v", tt.body, *rep)
			}
			if string(rep.Raw) != tt.body {
				t.Errorf("Raw is not the body as received")
			}
		})
	}
}
