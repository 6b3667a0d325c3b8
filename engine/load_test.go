package engine

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLoadDirReportsEveryFile: a set with problems in several files reports
// them all, each with its file, and loads nothing.
func TestLoadDirReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.yaml":      "name: a\ndefault: allow\non_error: review\nrules:\n  - {id: x, when: risk_scor > 1, action: deny}\n",
		"b.yml":       "name: b\nmatch: {tags: [t]}\ndefault: allow\non_error: review\nrules:\n  - {id: x, when: 'device_checks.vnp == \"Detected\"', action: deny}\n",
		"c_test.yaml": "cases: []\n",
		"notes.txt":   "not a policy",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := LoadDir(dir)
	if set != nil {
		t.Fatal("a broken set loaded")
	}
	var les LoadErrors
	if !errors.As(err, &les) {
		t.Fatalf("error %T is not LoadErrors", err)
	}
	want := []struct {
		file      string
		line, col int
		code      string
	}{
		{"a.yaml", 5, 19, CodeExpr},
		{"b.yml", 6, 34, CodeUnknownCheck},
	}
	if len(les) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(les), len(want), err)
	}
	for i, w := range want {
		e := les[i]
		if filepath.Base(e.File) != w.file || e.Line != w.line || e.Col != w.col || e.Code != w.code {
			t.Errorf("error %d: %s:%d:%d %s, want %s:%d:%d %s", i, filepath.Base(e.File), e.Line, e.Col, e.Code, w.file, w.line, w.col, w.code)
		}
	}
}

func TestLoadDirMissing(t *testing.T) {
	if _, err := LoadDir(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("no error for a missing folder")
	}
	if _, err := LoadDir(t.TempDir()); err == nil {
		t.Fatal("no error for an empty folder")
	}
}
