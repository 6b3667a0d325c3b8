package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFolderCommandsRefuseAFIFO: lint, test, eval and replay read a rules
// folder through the reloader's safe reader, so a named pipe called like a
// policy is an error, never a command that blocks for ever on it.
func TestFolderCommandsRefuseAFIFO(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"checkout.yaml", "checkout_test.yaml"} {
		shipped, err := os.ReadFile(filepath.Join("../../rules", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), shipped, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Skipf("mkfifo: %v (no named pipes here)", err)
	}
	cases := [][]string{
		{"lint", dir},
		{"test", dir},
		{"eval", "--rules", dir, "--report", "../../testdata/reports/demo-allow.json"},
	}
	for _, args := range cases {
		t.Run(args[0], func(t *testing.T) {
			code, out, errOut := run(args...)
			if code == 0 {
				t.Fatalf("exit 0 with a FIFO in the folder\nstdout:\n%s\nstderr:\n%s", out, errOut)
			}
			if !strings.Contains(out+errOut, "pipe.yaml") {
				t.Errorf("the error does not name the FIFO\nstdout:\n%s\nstderr:\n%s", out, errOut)
			}
		})
	}
}
