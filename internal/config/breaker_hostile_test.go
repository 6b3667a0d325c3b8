package config

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestHostileBreakerSettings loads each case of
// testdata/hostile/config/breaker.yaml: it must fail, saying what it wants.
func TestHostileBreakerSettings(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/hostile/config/breaker.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Note string            `yaml:"note"`
		Env  map[string]string `yaml:"env"`
		File string            `yaml:"file"`
		Want string            `yaml:"want"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cases); err != nil || len(cases) == 0 {
		t.Fatalf("breaker.yaml: %v (%d cases)", err, len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Note, func(t *testing.T) {
			_, err := Load(writeConfig(t, tc.File), env(tc.Env))
			if err == nil {
				t.Fatalf("Load succeeded, want an error with %q", tc.Want)
			}
			if !strings.Contains(err.Error(), tc.Want) {
				t.Fatalf("error does not say %q:\n%v", tc.Want, err)
			}
		})
	}
}
