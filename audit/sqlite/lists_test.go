package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/verdicthq/verdict/internal/audittest"
)

func TestListConformance(t *testing.T) {
	audittest.RunLists(t, func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "decisions.db")
	})
}
