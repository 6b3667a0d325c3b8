package audittest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/verdicthq/verdict/audit"
)

// benchLogs are the logs OnceLog made in this process, by name.
var benchLogs sync.Map // name -> *benchLog

type benchLog struct {
	once sync.Once
	path string
	err  error
}

// OnceLog returns the path of a SQLite log that fill writes, made once per
// process and name so that every benchmark of a run reads the same log and
// making it is not measured. It lives in one folder per name under the
// temporary folder, emptied before each making: a run leaves one copy
// behind, not one per run.
func OnceLog(b testing.TB, name string, fill func(audit.Store) error) string {
	b.Helper()
	v, _ := benchLogs.LoadOrStore(name, &benchLog{})
	l := v.(*benchLog)
	l.once.Do(func() {
		dir := filepath.Join(os.TempDir(), "verdict-bench-"+name)
		if l.err = os.RemoveAll(dir); l.err != nil {
			return
		}
		if l.err = os.MkdirAll(dir, 0o750); l.err != nil {
			return
		}
		l.path = filepath.Join(dir, "d.db")
		s, err := audit.Open(context.Background(), l.path, audit.Options{})
		if err != nil {
			l.err = err
			return
		}
		defer s.Close()
		if err := fill(s); err != nil {
			l.err = fmt.Errorf("make the %s log: %w", name, err)
		}
	})
	if l.err != nil {
		b.Fatal(l.err)
	}
	return l.path
}
