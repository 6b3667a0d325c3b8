//go:build linux

package reload_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/internal/testwait"
)

// TestWatchHoldsAFileOpenForWriting: a policy written in two parts, with a
// pause between them, never goes live half-written (the first part alone is
// a valid, shorter policy): the watch holds the reload until the writer
// closes the file, then loads the whole file once.
func TestWatchHoldsAFileOpenForWriting(t *testing.T) {
	dir := newFolder(t, map[string]string{"checkout.yaml": policyV("80")})
	w := startWatch(t, dir, false) // inotify: close-after-write is known
	before := w.live.Load()

	full := policyV("70") + "  - id: second-rule\n    when: risk_score >= 95\n    action: deny\n"
	part1 := policyV("70") // valid on its own
	if !strings.HasPrefix(full, part1) {
		t.Fatal("bad fixture")
	}
	f, err := os.OpenFile(filepath.Join(dir, "checkout.yaml"), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(part1); err != nil {
		t.Fatal(err)
	}
	select {
	case files := <-w.holds:
		if len(files) != 1 || files[0] != "checkout.yaml" {
			t.Fatalf("held for %v", files)
		}
	case ev := <-w.reloads:
		t.Fatalf("a file still open for writing was loaded: %+v", ev)
	case <-time.After(testwait.Timeout):
		t.Fatal("the watch neither held nor loaded")
	}
	select {
	case ev := <-w.reloads:
		t.Fatalf("a reload ran while the file was open: %+v", ev)
	default:
	}
	if w.live.Load() != before {
		t.Fatal("the live set changed while the file was open")
	}
	if _, err := f.WriteString(full[len(part1):]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	w.waitLive(full)
	if !strings.Contains(w.logs.String(), "still open for writing") {
		t.Fatalf("the hold is not logged:\n%s", w.logs.String())
	}
}
