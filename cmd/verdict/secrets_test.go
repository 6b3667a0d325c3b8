package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestURLSecretsNeverPrinted runs `verdict serve` with each URL of
// testdata/hostile/config/url-secrets.yaml: it must fail as the case says,
// saying what is wrong, without printing the secret.
func TestURLSecretsNeverPrinted(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/hostile/config/url-secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Note   string            `yaml:"note"`
		Env    map[string]string `yaml:"env"`
		Secret string            `yaml:"secret"`
		Exit   int               `yaml:"exit"`
		Want   string            `yaml:"want"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cases); err != nil || len(cases) == 0 {
		t.Fatalf("url-secrets.yaml: %v (%d cases)", err, len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Note, func(t *testing.T) {
			t.Setenv("VERDICT_LISTEN_ADDR", "127.0.0.1:0")
			t.Setenv("VERDICT_RULES_DIR", "../../rules")
			t.Setenv("VERDICT_DEMO_REPORTS_DIR", "../../testdata/reports")
			t.Setenv("VERDICT_DATABASE_URL", t.TempDir()+"/verdict.db")
			t.Setenv("VERDICT_LOG_FORMAT", "json")
			for k, v := range tc.Env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			code := runServe(nil, &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code != tc.Exit {
				t.Errorf("exit %d, want %d:\n%s", code, tc.Exit, out)
			}
			if strings.Contains(out, tc.Secret) {
				t.Errorf("the secret is printed:\n%s", out)
			}
			if !strings.Contains(out, tc.Want) {
				t.Errorf("the output does not say %q:\n%s", tc.Want, out)
			}
		})
	}
}
