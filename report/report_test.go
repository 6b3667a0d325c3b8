package report_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/verdicthq/verdict/report"
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
func allUnknown(names []string, set map[string]report.CheckValue) report.Checks {
	c := report.Checks{}
	for _, n := range names {
		c[n] = report.Unknown
	}
	for k, v := range set {
		c[k] = v
	}
	return c
}

func TestDecodeReportFixtures(t *testing.T) {
	tests := []struct {
		file string
		want report.Report
	}{
		{
			file: "full.json",
			want: report.Report{
				SessionID:         "sess-full",
				UserID:            "user-456",
				Tags:              []string{"intake-survey", "checkout-flow"},
				RiskScore:         75,
				RiskExplanation:   "User was flagged for multiple likely bot behavior, indicating a medium to high risk of fraud.",
				RecommendedAction: "Manual review or require additional verification",
				UserLogs: []report.UserLog{
					{Action: "Signed in", UserTime: "Mar 25, 2025 14:30:45", UnixTimestamp: 1743055845000},
					{Action: "Updated credit card", UserTime: "Mar 25, 2025 14:32:15", UnixTimestamp: 1743055935000},
				},
				BiometricChecks: report.Checks{
					"agent_behavior": report.NotDetected, "programmatic_typing": report.Detected,
					"teleporting_mouse": report.NotDetected, "no_corrections": report.Detected,
					"all_pasted": report.Unknown, "jump_scrolling": report.Detected,
					"centered_clicks": report.Detected, "programmatic_clicking": report.NotDetected,
					"external_input": report.Detected,
				},
				DeviceChecks: report.Checks{
					"bot": report.Detected, "virtual_machine": report.NotDetected,
					"software_renderer": report.NotDetected, "vpn": report.Detected,
					"tor": report.NotDetected, "location_spoofing": report.Unknown,
				},
			},
		},
		{
			file: "old.json", // before tags (March 2026) and recommended_action (May 2026)
			want: report.Report{
				SessionID: "sess-old", UserID: "user-1", RiskScore: 12, RiskExplanation: "No notable signals.",
				BiometricChecks: allUnknown(report.BiometricCheckNames, map[string]report.CheckValue{
					"agent_behavior": report.NotDetected, "programmatic_typing": report.NotDetected}),
				DeviceChecks: allUnknown(report.DeviceCheckNames, map[string]report.CheckValue{
					"bot": report.NotDetected, "vpn": report.NotDetected}),
			},
		},
		{
			file: "future.json", // checks Roundtable adds later are kept
			want: report.Report{
				SessionID: "sess-future", Tags: []string{"checkout-flow"}, RiskScore: 55,
				RecommendedAction: "Accept with monitoring",
				BiometricChecks: allUnknown(report.BiometricCheckNames, map[string]report.CheckValue{
					"agent_behavior": report.Detected, "gaze_tracking": report.Detected}),
				DeviceChecks: allUnknown(report.DeviceCheckNames, map[string]report.CheckValue{
					"bot": report.NotDetected, "emulator": report.NotDetected}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readFixture(t, tt.file)
			got, err := report.Decode(raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if string(got.Raw) != string(raw) {
				t.Errorf("Raw is not the body as received")
			}
			got.Raw = nil
			report.IndexChecks(&tt.want) // the decoded index must agree with the maps
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Decode(%s)\n got %#v\nwant %#v", tt.file, *got, tt.want)
			}
		})
	}
}

func TestDecodeReportRawIsACopy(t *testing.T) {
	raw := readFixture(t, "old.json")
	rep, err := report.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	raw[0] = 'X'
	if rep.Raw[0] != '{' {
		t.Fatal("Report.Raw shares the caller's buffer")
	}
}

func TestChecksGet(t *testing.T) {
	rep, err := report.Decode([]byte(`{"session_id":"s","risk_score":1,"device_checks":{"vpn":"Detected","later_check":"Not detected"}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  report.CheckValue
		want report.CheckValue
	}{
		{"present", rep.DeviceChecks.Get("vpn"), report.Detected},
		{"documented but missing", rep.DeviceChecks.Get("tor"), report.Unknown},
		{"whole group missing", rep.BiometricChecks.Get("agent_behavior"), report.Unknown},
		{"unknown check kept", rep.DeviceChecks.Get("later_check"), report.NotDetected},
		{"never heard of", rep.DeviceChecks.Get("nonexistent"), report.Unknown},
		{"nil Checks", report.Checks(nil).Get("vpn"), report.Unknown},
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
			rep, err := report.Decode([]byte(`{"session_id":"s","risk_score":` + tt.score + `}`))
			if err != nil {
				t.Fatalf("Decode: %v", err)
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
			rep, err := report.Decode([]byte(`{"session_id":"s","risk_score":5,"user_logs":` + logs + `}`))
			if err != nil {
				t.Fatalf("Decode: %v", err)
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
			rep, err := report.Decode([]byte(tt.body))
			if err == nil {
				t.Fatalf("Decode = %+v, want an error", rep)
			}
			if !errors.Is(err, report.ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			if got := report.Status(err); got != report.StatusInvalid {
				t.Errorf("Status = %q, want %q", got, report.StatusInvalid)
			}
			var ire *report.InvalidError
			if !errors.As(err, &ire) {
				t.Fatalf("error %T is not an *InvalidError", err)
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
	_, err := report.Decode([]byte(body))
	if err == nil {
		t.Fatal("want an error")
	}
	if len(err.Error()) > 300 {
		t.Errorf("error text is %d bytes long, want it cut short", len(err.Error()))
	}
	if !strings.HasPrefix(err.Error(), "invalid report: device_checks.é") || !utf8.ValidString(err.Error()) {
		t.Errorf("error text %q is not a clean cut", err)
	}
}

// TestDecodeReportEncodingJSONRules pins what Decode has always
// inherited from encoding/json and must keep whichever path decodes:
// case-insensitive field names, escapes, null leaving a string alone,
// duplicate fields, merged duplicate check groups, empty vs null arrays.
func TestDecodeReportEncodingJSONRules(t *testing.T) {
	const ok = `"session_id":"s","risk_score":50`
	tests := []struct {
		name  string
		body  string
		check func(r *report.Report) bool
	}{
		{"field names fold case", `{"SESSION_ID":"S","Risk_Score":7}`,
			func(r *report.Report) bool { return r.SessionID == "S" && r.RiskScore == 7 }},
		{"field names fold Unicode", `{"ſession_id":"S","risk_score":7}`,
			func(r *report.Report) bool { return r.SessionID == "S" }},
		{"escaped field name", `{"session\u005fid":"S","risk_score":7}`,
			func(r *report.Report) bool { return r.SessionID == "S" }},
		{"escapes in values", `{` + ok + `,"risk_explanation":"a\"b\u00e9\n"}`,
			func(r *report.Report) bool { return r.RiskExplanation == "a\"bé\n" }},
		{"null keeps an earlier string", `{"session_id":"a","session_id":null,"risk_score":1}`,
			func(r *report.Report) bool { return r.SessionID == "a" }},
		{"last duplicate wins", `{"session_id":"a","session_id":"b","risk_score":1,"risk_score":2}`,
			func(r *report.Report) bool { return r.SessionID == "b" && r.RiskScore == 2 }},
		{"duplicate check groups merge", `{` + ok + `,"device_checks":{"vpn":"Detected"},"device_checks":{"tor":"Detected"}}`,
			func(r *report.Report) bool {
				return r.DeviceChecks["vpn"] == report.Detected && r.DeviceChecks["tor"] == report.Detected
			}},
		{"a bad check value overwritten", `{` + ok + `,"device_checks":{"vpn":"bad","vpn":"Detected"}}`,
			func(r *report.Report) bool { return r.DeviceChecks["vpn"] == report.Detected }},
		{"escaped check name and value", `{` + ok + `,"device_checks":{"v\u0070n":"Detect\u0065d"}}`,
			func(r *report.Report) bool { return r.DeviceChecks["vpn"] == report.Detected }},
		{"empty tags are not nil", `{` + ok + `,"tags":[]}`,
			func(r *report.Report) bool { return r.Tags != nil && len(r.Tags) == 0 }},
		{"null tags are nil", `{` + ok + `,"tags":null}`,
			func(r *report.Report) bool { return r.Tags == nil }},
		{"empty user_logs are not nil", `{` + ok + `,"user_logs":[]}`,
			func(r *report.Report) bool { return r.UserLogs != nil && len(r.UserLogs) == 0 }},
		{"user_logs with null and folded names", `{` + ok + `,"user_logs":[null,{"ACTION":"a","unix_timestamp":-0}]}`,
			func(r *report.Report) bool {
				return len(r.UserLogs) == 2 && r.UserLogs[0] == (report.UserLog{}) && r.UserLogs[1].Action == "a"
			}},
		{"user_logs timestamp past int64 dropped", `{` + ok + `,"user_logs":[{"unix_timestamp":9223372036854775808}]}`,
			func(r *report.Report) bool { return r.UserLogs == nil }},
		{"unknown fields of any shape skipped", `{` + ok + `,"later":{"a":[1,-2.5e3,true,false,null,"\n",{"b":{}}]}}`,
			func(r *report.Report) bool { return r.SessionID == "s" }},
		{"invalid UTF-8 replaced", "{\"session_id\":\"s\xff\",\"risk_score\":1}",
			func(r *report.Report) bool { return r.SessionID == "s\uFFFD" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := report.Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !tt.check(rep) {
				t.Errorf("Decode(%s) = %+v", tt.body, *rep)
			}
			if string(rep.Raw) != tt.body {
				t.Errorf("Raw is not the body as received")
			}
		})
	}
}
