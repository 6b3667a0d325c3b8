package api_test

import (
	"bytes"
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestHostilePolicyVersions runs testdata/hostile/log/policy-versions.yaml
// against a server with a real decision log, on every backend.
func TestHostilePolicyVersions(t *testing.T) {
	raw, err := os.ReadFile("../testdata/hostile/log/policy-versions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Note   string `yaml:"note"`
		Path   string `yaml:"path"`
		Status int    `yaml:"status"`
		Code   string `yaml:"code"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	for _, b := range logBackends() {
		t.Run(b.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: b.open(t)})
			for _, c := range cases {
				t.Run(c.Note, func(t *testing.T) {
					res, _ := h.send(req{method: "GET", path: c.Path, key: keyAuditor})
					if res.status != c.Status || res.errorCode(t) != c.Code {
						t.Fatalf("GET %s: %d %s; want %d %s", c.Path, res.status, res.body, c.Status, c.Code)
					}
				})
			}
			if res, _ := h.send(req{method: "GET", path: "/v1/policies/versions/" + string(bytes.Repeat([]byte("0"), 64)), key: keyCheckout}); res.status != 403 {
				t.Fatalf("a key without the audit scope: %d", res.status)
			}
		})
	}
}
