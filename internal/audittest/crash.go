package audittest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"

	"github.com/verdicthq/verdict/audit"
)

// crashEnv names the database URL a crash child appends to.
const crashEnv = "VERDICT_AUDIT_CRASH_CHILD_URL"

// CrashChildMain is for a backend's TestMain: in a process started by
// RunCrash it appends traces from 32 goroutines forever, printing each id on
// stdout once Append has returned, and never returns. Elsewhere it returns at once.
func CrashChildMain() {
	url := os.Getenv(crashEnv)
	if url == "" {
		return
	}
	s, err := audit.Open(context.Background(), url, audit.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child: open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	for g := range 32 {
		go func() {
			for i := g; ; i += 32 {
				tr := SampleTrace(i)
				if err := s.Append(context.Background(), tr); err != nil {
					fmt.Fprintln(os.Stderr, "crash child: append:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintln(out, i, tr.ID)
				out.Flush() // acknowledged: the parent may count on it
				mu.Unlock()
			}
		}()
	}
	select {}
}

// RunCrash starts this test binary as a child that appends to url (the
// backend's TestMain must call CrashChildMain), kills it with SIGKILL once it
// has acknowledged at least n appends, and checks that every acknowledged
// trace is in the log, whole.
func RunCrash(t *testing.T, url string, n int) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+url)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start crash child: %v", err)
	}
	type ack struct {
		i  int
		id string
	}
	var acked []ack
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var a ack
		if _, err := fmt.Sscan(sc.Text(), &a.i, &a.id); err != nil {
			t.Fatalf("crash child wrote %q: %v", sc.Text(), err)
		}
		acked = append(acked, a)
		if len(acked) == n {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill crash child: %v", err)
			}
		}
	}
	err = cmd.Wait()
	if len(acked) < n {
		t.Fatalf("crash child acknowledged %d appends before exiting (%v), want %d", len(acked), err, n)
	}
	s := MustOpen(t, url, audit.Options{}) // reopen after the crash, as a restart does
	for _, a := range acked {
		tr, err := s.Get(context.Background(), a.id)
		if err != nil {
			t.Fatalf("acknowledged trace %s lost after SIGKILL: %v", a.id, err)
		}
		AssertSame(t, tr, SampleTraceWithID(a.i, a.id))
	}
	// The chain survives the crash too, and appends after the restart
	// chain on (SQLite) or start a chain of their own (PostgreSQL).
	MustAppend(t, s, SampleTrace(n+1))
	res, err := audit.Verify(context.Background(), s.(audit.CheckpointLog), audit.VerifyOptions{})
	if err != nil || res.Break != nil || res.Verified < int64(len(acked))+1 {
		t.Fatalf("verify after SIGKILL and restart: %+v (break %v), %v; want at least %d verified", res, res.Break, err, len(acked)+1)
	}
	t.Logf("all %d acknowledged appends survived SIGKILL; the chain verifies (%d traces)", len(acked), res.Verified)
}
