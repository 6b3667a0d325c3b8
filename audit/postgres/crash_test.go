package postgres_test

import (
	"testing"

	"github.com/verdicthq/verdict/internal/audittest"
	"go.uber.org/goleak"
)

// TestMain runs the crash child when asked; otherwise the tests, which must
// leave no goroutine behind.
func TestMain(m *testing.M) {
	audittest.CrashChildMain() // only acts in the child process of TestCrash
	goleak.VerifyTestMain(m)
}

// TestCrash kills a process mid-load with SIGKILL and checks that no
// acknowledged append is lost.
func TestCrash(t *testing.T) {
	audittest.RunCrash(t, newSchema(t), 2000)
}
