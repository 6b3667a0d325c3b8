package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// TestHostileTamper runs testdata/hostile/log/tamper.yaml: each edit made
// directly in the file is found by verify at the trace the case names.
func TestHostileTamper(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/hostile/log/tamper.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Note string `yaml:"note"`
		SQL  string `yaml:"sql"`
		At   int    `yaml:"at"`
		AtID string `yaml:"at_id"`
		Want string `yaml:"want"`
		// NoContext: the traces are appended without a context (NULL).
		NoContext bool `yaml:"no_context"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 10 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Note, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "verdict.db")
			s := audittest.MustOpen(t, path, audit.Options{})
			var traces []*audit.Trace
			for i := range 12 {
				tr := audittest.SampleTrace(i)
				if c.NoContext {
					tr.Context = nil
				}
				audittest.MustAppend(t, s, tr)
				traces = append(traces, tr)
			}
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(c.SQL); err != nil {
				t.Fatalf("%s: %v", c.SQL, err)
			}
			db.Close()
			want := c.AtID
			if want == "" {
				want = traces[c.At].ID
			}
			for _, part := range []int64{0, 3, 4} { // at once, and in parallel parts of 3 and 4 traces
				res, err := audit.Verify(context.Background(), s.(audit.CheckpointLog), audit.VerifyOptions{PartSize: part})
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if res.Break == nil || res.Break.ID != want || !strings.Contains(res.Break.What, c.Want) {
					t.Fatalf("verify (parts of %d): %+v, break %v; want a break at %s saying %q", part, res, res.Break, want, c.Want)
				}
			}
		})
	}
}
