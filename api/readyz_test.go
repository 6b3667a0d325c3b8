package api_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/testwait"
)

// readyzLog returns /readyz's status and its decision_log check ("ok" or
// why not).
func (h *harness) readyzLog(t *testing.T) (int, string) {
	t.Helper()
	res := h.do(req{method: "GET", path: "/readyz"})
	body := res.json(t)
	checks, _ := body["checks"].(map[string]any)
	if res.status != 200 {
		checks, _ = body["error"].(map[string]any)["details"].(map[string]any)
	}
	why, _ := checks["decision_log"].(string)
	return res.status, why
}

// waitReadyz polls /readyz until its status is want, for at most 5 s (the
// promise), and returns the decision_log check it ended with.
func (h *harness) waitReadyz(t *testing.T, want int) string {
	t.Helper()
	var status int
	var why string
	if !testwait.For(5*time.Second, func() bool { status, why = h.readyzLog(t); return status == want }) {
		t.Fatalf("/readyz still %d (decision_log: %s) 5s on, want %d", status, why, want)
	}
	return why
}

// readyzChildEnv names the log folder of TestReadyzFileSizeLimit's child.
const readyzChildEnv = "VERDICT_TEST_READYZ_FSIZE_DIR"

// TestReadyzFileSizeLimit (issue 10): with SQLite unable to write (the
// file-size limit), every decision answered 503 while /readyz said 200
// "decision_log":"ok". Now /readyz is 503 within 5 s, saying why, and 200
// again once writes succeed. The limit is per process: a child runs it.
func TestReadyzFileSizeLimit(t *testing.T) {
	if dir := os.Getenv(readyzChildEnv); dir != "" {
		readyzFileSizeChild(t, dir)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReadyzFileSizeLimit$", "-test.v")
	cmd.Env = append(os.Environ(), readyzChildEnv+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"NOT-READY: ", "cannot write", "READY-AGAIN", "--- PASS"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

func readyzFileSizeChild(t *testing.T, dir string) {
	path := filepath.Join(dir, "verdict.db")
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: openLog(t, path)})
	if d := h.decide(`{"session_id":"t-allow"}`).decision(t); d.Outcome != "allow" {
		t.Fatalf("first decision: %+v", d)
	}
	if status, why := h.readyzLog(t); status != 200 || why != "ok" {
		t.Fatalf("/readyz before the limit: %d %s", status, why)
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
	refused := false
	for i := 0; i < 2000 && !refused; i++ {
		r := h.decide(fmt.Sprintf(`{"session_id":"t-allow","context":{"n":%d}}`, i))
		refused = r.status == 503 && r.errorCode(t) == "decision_log_unavailable"
	}
	if !refused {
		t.Fatal("no decision was refused under the file-size limit")
	}
	why := h.waitReadyz(t, 503)
	if !strings.Contains(why, "cannot write") {
		t.Errorf("/readyz decision_log = %q, want why it cannot write", why)
	}
	fmt.Printf("NOT-READY: %s\n", why)

	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if why := h.waitReadyz(t, 200); why != "ok" {
		t.Errorf("/readyz decision_log = %q once writes succeed", why)
	}
	fmt.Println("READY-AGAIN")
	if d := h.decide(`{"session_id":"t-deny"}`).decision(t); d.Outcome != "deny" {
		t.Fatalf("decision once writes succeed: %+v", d)
	}
}

// TestReadyzPostgresGone: PostgreSQL refusing connections turns /readyz 503
// within 5 s, saying why; once it is back, 200.
func TestReadyzPostgresGone(t *testing.T) {
	base := audittest.RequirePostgres(t)
	dbURL, db := audittest.PostgresDatabase(t, base)
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: openLog(t, dbURL)})
	h.decide(`{"session_id":"t-allow"}`).decision(t)
	if status, why := h.readyzLog(t); status != 200 || why != "ok" {
		t.Fatalf("/readyz: %d %s", status, why)
	}
	audittest.PostgresExec(t, base, "ALTER DATABASE "+db+" ALLOW_CONNECTIONS false",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+db+"'")
	if why := h.waitReadyz(t, 503); !strings.Contains(why, "ping postgres") {
		t.Errorf("/readyz decision_log = %q, want the server's reason", why)
	}
	audittest.PostgresExec(t, base, "ALTER DATABASE "+db+" ALLOW_CONNECTIONS true")
	if why := h.waitReadyz(t, 200); why != "ok" {
		t.Errorf("/readyz decision_log = %q once PostgreSQL is back", why)
	}
}
