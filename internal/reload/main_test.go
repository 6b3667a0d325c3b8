package reload_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the tests if a watcher (or its inotify reader) outlives
// them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
