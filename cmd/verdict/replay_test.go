package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/audittest"
)

// decidedLog stores the report fixtures decided by the shipped policy, dated
// now, in a fresh SQLite log, and returns its path and the trace count.
func decidedLog(t *testing.T) (string, int) {
	t.Helper()
	set, err := engine.LoadDir("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	_, reports, err := audittest.Reports("../../testdata/reports")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "verdict.db")
	s := audittest.MustOpen(t, path, audit.Options{})
	now := time.Now().Add(-time.Hour)
	for i, raw := range reports {
		audittest.MustAppend(t, s, audittest.Decide(set, raw, map[string]any{"amount": 700.0}, now.Add(time.Duration(i)*time.Millisecond)))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, len(reports)
}

func TestReplayCommand(t *testing.T) {
	db, n := decidedLog(t)
	candidate := "../../audit/testdata/replay/candidate"
	broken := t.TempDir()
	b, err := os.ReadFile("../../testdata/policies/broken/misspelt-name.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "misspelt-name.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"text", []string{"--rules", candidate}, 0,
			[]string{"Candidate policies: " + candidate, "Outcome transitions (rows: stored, columns: candidate)", "high-risk-score", "Sample changed decisions"}, nil},
		{"same policy changes nothing", []string{"--rules", "../../rules"}, 0, []string{"Outcome changed: 0 (0.0%)"}, nil},
		{"window before every decision", []string{"--rules", candidate, "--since", "2020-01-01", "--until", "2020-01-02"}, 0, []string{"Replayed 0 of 0"}, nil},
		{"missing --rules", nil, 2, nil, []string{"--rules is required"}},
		{"bad format", []string{"--rules", candidate, "--format", "xml"}, 2, nil, []string{"want text or json"}},
		{"bad since", []string{"--rules", candidate, "--since", "soon"}, 2, nil, []string{"--since"}},
		{"broken candidate", []string{"--rules", broken}, 2, nil, []string{"misspelt-name.yaml:6:11"}},
		{"help", []string{"--help"}, 0, []string{"Usage: verdict replay"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(append([]string{"replay", "--database", db}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			for _, s := range c.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range c.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := run("replay", "--database", db, "--rules", candidate, "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var rep audit.ReplayReport
		if err := json.NewDecoder(bytes.NewBufferString(stdout)).Decode(&rep); err != nil {
			t.Fatalf("decode: %v\n%s", err, stdout)
		}
		if rep.Read != int64(n) || rep.Replayed == 0 || rep.Changed == 0 || len(rep.Transitions) != 9 {
			t.Fatalf("read %d of %d, replayed %d, changed %d, %d transitions", rep.Read, n, rep.Replayed, rep.Changed, len(rep.Transitions))
		}
	})
}
