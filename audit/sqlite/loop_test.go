package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/internal/audittest"
)

func TestLoopConformance(t *testing.T) {
	audittest.RunLoop(t, func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "decisions.db")
	})
}
