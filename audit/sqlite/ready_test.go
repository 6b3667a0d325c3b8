package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// fsizeChildEnv names the log folder of TestPingFileSizeLimit's child.
const fsizeChildEnv = "VERDICT_TEST_FSIZE_CHILD_DIR"

// TestPingFileSizeLimit (issue 10): with the file-size limit reached, every
// append failed while Ping, and so /readyz, said the log was fine. Now Ping
// fails, saying why, and passes again once writes succeed. The limit is set
// in a child process (it is per process), which runs fileSizeLimitChild.
func TestPingFileSizeLimit(t *testing.T) {
	if dir := os.Getenv(fsizeChildEnv); dir != "" {
		fileSizeLimitChild(t, dir)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPingFileSizeLimit$", "-test.v")
	cmd.Env = append(os.Environ(), fsizeChildEnv+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"PING-FAILED: decision log ", "cannot write since", "PING-RECOVERED", "--- PASS"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

// fileSizeLimitChild lowers RLIMIT_FSIZE to the log's current size, appends
// until a commit fails, checks Ping fails, lifts the limit and checks Ping
// and Append work again.
func fileSizeLimitChild(t *testing.T, dir string) {
	ctx := context.Background()
	path := filepath.Join(dir, "verdict.db")
	s := audittest.MustOpen(t, path, audit.Options{})
	audittest.MustAppend(t, s, audittest.SampleTrace(0), audittest.SampleTrace(1))
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping before the limit: %v", err)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	var limit int64
	for _, f := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			limit = max(limit, fi.Size())
		}
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(limit), Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	var appendErr error
	for i := 2; i < 5000 && appendErr == nil; i++ {
		appendErr = s.Append(ctx, audittest.SampleTrace(i))
	}
	if appendErr == nil {
		t.Fatal("no append failed under the file-size limit")
	}
	err := s.Ping(ctx)
	if err == nil {
		t.Fatalf("Ping passes while appends fail (%v)", appendErr)
	}
	fmt.Printf("PING-FAILED: %v\n", err)

	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping once writes can succeed again: %v", err)
	}
	fmt.Println("PING-RECOVERED")
	audittest.MustAppend(t, s, audittest.SampleTrace(9000))
}
