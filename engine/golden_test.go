package engine

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/policies")

// TestBrokenPolicies loads each broken policy (and broken set) and compares
// every error with its golden file (refresh with go test ./engine -update).
func TestBrokenPolicies(t *testing.T) {
	files, _ := filepath.Glob("../testdata/policies/broken/*.yaml")
	sets, _ := filepath.Glob("../testdata/policies/sets/*")
	if len(files) == 0 || len(sets) == 0 {
		t.Fatal("no broken policies found")
	}
	cases := map[string]func() error{}
	for _, f := range files {
		cases[f] = func() error {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParsePolicy(filepath.Base(f), data)
			return err
		}
	}
	for _, d := range sets {
		cases[d] = func() error { _, err := LoadDir(d); return err }
	}
	for path, load := range cases {
		t.Run(filepath.Base(path), func(t *testing.T) {
			err := load()
			if err == nil {
				t.Fatal("loaded without error")
			}
			got := strings.ReplaceAll(err.Error(), "../testdata/policies/", "") + "\n"
			golden := strings.TrimSuffix(path, ".yaml") + ".golden"
			if !strings.HasSuffix(path, ".yaml") {
				golden = filepath.Join(path, "errors.golden")
			}
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestValidPolicies loads the valid policies and the shipped rules.
func TestValidPolicies(t *testing.T) {
	for _, dir := range []string{"../testdata/policies/valid", "../rules"} {
		t.Run(dir, func(t *testing.T) {
			s, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if live, _ := s.Select(nil); live == nil {
				t.Fatal("no live default policy")
			}
		})
	}
}
