package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// TestPolicySchema: rules/policy.schema.json accepts every policy the engine
// loads here (the shipped ones, the memory and score policies of the tests)
// and refuses what the engine refuses for its shape (a score without
// strategy score, bands missing, a counter with two aggregations, a list
// file outside the folder, an unknown list kind).
func TestPolicySchema(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile("../rules/policy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	validate := func(t *testing.T, src []byte) error {
		t.Helper()
		var v any
		if err := yaml.Unmarshal(src, &v); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return sch.Validate(inst)
	}
	good := map[string]string{"memory": memoryPolicy, "score": scorePolicy}
	shipped, _ := filepath.Glob("../rules/*.yaml")
	loads, _ := filepath.Glob("../testdata/hostile/policies/mem-loads.yaml")
	for _, f := range append(shipped, loads...) {
		if !IsPolicyFile(filepath.Base(f)) {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		good[f] = string(data)
	}
	for name, src := range good {
		t.Run("accepts "+name, func(t *testing.T) {
			if _, err := ParsePolicy(name, []byte(src)); err != nil {
				t.Fatalf("the engine refuses it: %v", err)
			}
			if err := validate(t, []byte(src)); err != nil {
				t.Fatalf("the schema refuses it: %v", err)
			}
		})
	}
	for _, f := range []string{"score-not-score", "score-no-bands", "score-bands-not-score", "score-neither", "mem-two-aggs",
		"mem-list-file-escape", "mem-list-kind", "mem-no-key"} {
		t.Run("refuses "+f, func(t *testing.T) {
			data, err := os.ReadFile("../testdata/hostile/policies/" + f + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParsePolicy(f, data); err == nil {
				t.Fatal("the engine loads it")
			}
			if err := validate(t, data); err == nil {
				t.Fatal("the schema accepts it")
			}
		})
	}
}
