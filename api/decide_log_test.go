package api_test

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/fetcher/roundtabletest"
)

// TestReportMissingLog reads the log line of a decision made without its
// report: it names the request, and a session Roundtable does not know is
// logged as that (info), not as Roundtable failing (warn).
func TestReportMissingLog(t *testing.T) {
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports"})
	h.sim.SetFault("t-down", roundtabletest.Fault{Status: 503})
	cases := []struct {
		name, session, level, message, status string
	}{
		{"not found", "no-such-session", "info", "no report for this session: deciding with on_error", "not_found"},
		{"Roundtable fails", "t-down", "warn", "report unavailable: deciding with on_error", "unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.decide(`{"session_id":"` + tc.session + `"}`)
			if res.status != 200 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			reqID := res.header.Get("X-Request-Id")
			if reqID == "" {
				t.Fatal("no X-Request-Id in the answer")
			}
			var lines []map[string]any
			sc := bufio.NewScanner(strings.NewReader(h.logs.String()))
			for sc.Scan() {
				var line map[string]any
				if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
					t.Fatalf("log line is not JSON: %v\n%s", err, sc.Text())
				}
				if line["session_id"] == tc.session && line["report_status"] != nil {
					lines = append(lines, line)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("%d report log lines for %s, want 1: %v", len(lines), tc.session, lines)
			}
			l := lines[0]
			if l["level"] != tc.level || l["message"] != tc.message || l["report_status"] != tc.status || l["request_id"] != reqID || l["error"] == nil {
				t.Fatalf("log line %v; want level %s, message %q, report_status %s, request_id %s and the error", l, tc.level, tc.message, tc.status, reqID)
			}
		})
	}
}
