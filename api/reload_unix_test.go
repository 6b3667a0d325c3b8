//go:build unix

package api_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReloadRefusesSpecialFiles: POST /v1/policies/reload over a rules folder
// holding a named pipe answers at once with a 422 naming the file (today's
// main blocked on it for ever, holding the reload lock); the old set keeps
// serving, and the next reload, once the pipe is gone, succeeds.
func TestReloadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	writePolicy(t, dir, policyA)
	h := newHarness(t, harnessOpts{rules: dir, reports: "testdata/reports"})
	pipe := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	res := h.do(req{method: "POST", path: "/v1/policies/reload", key: keyOps})
	if res.status != 422 || res.errorCode(t) != "invalid_policy" || !strings.Contains(string(res.body), "pipe.yaml") ||
		!strings.Contains(string(res.body), "named pipe (FIFO)") {
		t.Fatalf("reload over a FIFO: %d %s", res.status, res.body)
	}
	if got := currentVersion(t, h); got != sha(policyA) {
		t.Fatalf("live version %s after a rejected reload", got)
	}
	if err := os.Remove(pipe); err != nil {
		t.Fatal(err)
	}
	writePolicy(t, dir, policyB)
	if res := h.do(req{method: "POST", path: "/v1/policies/reload", key: keyOps}); res.status != 200 || currentVersion(t, h) != sha(policyB) {
		t.Fatalf("reload after the pipe is gone: %d %s", res.status, res.body)
	}
}
