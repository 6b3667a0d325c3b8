package console_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestConsoleDoesNotImportTheAPI: the console reads the services the API
// handlers use, never the API or its router (docs/architecture.md).
func TestConsoleDoesNotImportTheAPI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/verdicthq/verdict/internal/console").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "github.com/verdicthq/verdict/api", "github.com/labstack/echo/v4", "github.com/verdicthq/verdict/fetcher":
			t.Errorf("console depends on %s", dep)
		}
	}
}
