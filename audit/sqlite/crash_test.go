package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/audit/audittest"
)

func TestMain(m *testing.M) {
	audittest.CrashChildMain() // only acts in the child process of TestCrash
	os.Exit(m.Run())
}

// TestCrash kills a process mid-load with SIGKILL and checks that no
// acknowledged append is lost.
func TestCrash(t *testing.T) {
	audittest.RunCrash(t, filepath.Join(t.TempDir(), "crash.db"), 2000)
}
