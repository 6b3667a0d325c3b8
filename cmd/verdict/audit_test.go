package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// seedLog writes SampleTrace(0..n-1) to a fresh SQLite log and returns its path.
func seedLog(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "verdict.db")
	s := audittest.MustOpen(t, path, audit.Options{})
	for i := range n {
		audittest.MustAppend(t, s, audittest.SampleTrace(i))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAuditExport(t *testing.T) {
	db := seedLog(t, 10)
	cases := []struct {
		name      string
		args      []string
		wantCode  int
		wantLines int
		wantErr   string
	}{
		{"window", []string{"--since", "2026-11-01T12:00:02Z", "--until", "2026-11-01T12:00:05Z"}, 0, 3, "3 traces"},
		{"everything until now", nil, 0, 10, "10 traces"},
		{"empty window", []string{"--since", "2026-11-02"}, 0, 0, "0 traces"},
		{"bad since", []string{"--since", "last tuesday"}, 2, 0, "--since"},
		{"unknown flag", []string{"--format", "csv"}, 2, 0, "unknown flag --format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"audit", "export", "--database", db}, c.args...)
			if code := dispatch(args, &stdout, &stderr); code != c.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, c.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.wantErr) {
				t.Fatalf("stderr %q does not mention %q", stderr.String(), c.wantErr)
			}
			lines := 0
			sc := bufio.NewScanner(&stdout)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var tr audit.Trace
				if err := json.Unmarshal(sc.Bytes(), &tr); err != nil || tr.ID == "" {
					t.Fatalf("line %d is not a trace: %v: %s", lines+1, err, sc.Bytes())
				}
				lines++
			}
			if lines != c.wantLines {
				t.Fatalf("%d lines, want %d", lines, c.wantLines)
			}
		})
	}
}

func TestAuditExportMissingLog(t *testing.T) {
	var stdout, stderr bytes.Buffer
	missing := filepath.Join(t.TempDir(), "none.db")
	if code := dispatch([]string{"audit", "export", "--database", missing}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "none.db") {
		t.Fatalf("stderr %q does not name the file", stderr.String())
	}
}
