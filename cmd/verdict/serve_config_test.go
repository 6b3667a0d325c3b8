package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestServeConfigErrors: a configuration that does not load exits 2 before
// anything starts; with VERDICT_LOG_FORMAT=json the error is one JSON log
// line listing each problem; an error about VERDICT_API_KEYS never prints a
// secret, whichever field it was put in.
func TestServeConfigErrors(t *testing.T) {
	const leak = "sk-LEAKED-0123456789"
	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		json   bool
		want   []string // substrings of stderr
		wantNo []string // never in stderr
	}{
		{name: "text", env: map[string]string{"VERDICT_LOG_LEVEL": "loud"}, want: []string{"verdict serve: invalid configuration:", "log.level"}},
		{name: "json, two problems", env: map[string]string{"VERDICT_LOG_FORMAT": "json", "VERDICT_LOG_LEVEL": "loud", "VERDICT_BODY_LIMIT": "1"},
			json: true, want: []string{"log.level", "http.body_limit"}},
		{name: "json, missing file", env: map[string]string{"VERDICT_LOG_FORMAT": "json"}, args: []string{"--config", "testdata/none.yaml"},
			json: true, want: []string{"testdata/none.yaml"}},
		{name: "secret in the scope field", env: map[string]string{"VERDICT_API_KEYS": "ops:" + leak + ":decide-and-more-chars"},
			want: []string{`entry #1 (id "ops"): scope #1 is not one of`}, wantNo: []string{leak}},
		{name: "secret in the scope field, json", env: map[string]string{"VERDICT_LOG_FORMAT": "json", "VERDICT_API_KEYS": "ops:" + leak + ":decide-and-more-chars"},
			json: true, want: []string{`entry #1 (id \"ops\"): scope #1`}, wantNo: []string{leak}},
		{name: "secret alone", env: map[string]string{"VERDICT_API_KEYS": "ci:decide:aaaaaaaaaaaaaaaaaaaa," + leak},
			want: []string{"entry #2: want id:scope+scope:secret"}, wantNo: []string{leak}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, out, errOut := run(append([]string{"serve"}, tc.args...)...)
			if code != 2 || out != "" {
				t.Fatalf("exit %d, stdout %q; want 2 and nothing on stdout", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, w := range tc.wantNo {
				if strings.Contains(errOut, w) {
					t.Errorf("stderr prints %q:\n%s", w, errOut)
				}
			}
			if !tc.json {
				if !strings.HasPrefix(errOut, "verdict serve: ") {
					t.Errorf("stderr %q does not start with verdict serve:", errOut)
				}
				return
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			var line struct {
				Level   string   `json:"level"`
				Message string   `json:"message"`
				Errors  []string `json:"errors"`
			}
			if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil {
				t.Fatalf("stderr is not one JSON line:\n%s", errOut)
			}
			if line.Level != "error" || line.Message != "verdict serve: invalid configuration" || len(line.Errors) < len(tc.want) {
				t.Fatalf("line %+v", line)
			}
		})
	}
}
