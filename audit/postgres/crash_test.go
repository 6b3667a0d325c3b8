package postgres_test

import (
	"os"
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
	audittest.RunCrash(t, newSchema(t), 2000)
}
