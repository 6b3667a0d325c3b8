package sqlite_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/verdicthq/verdict/audit"
)

// TestConcurrentFirstOpen opens fresh log files from several goroutines at
// once, many times: while one connection turns a new file to WAL, another
// can get SQLITE_BUSY at once, without its busy timeout; Open must wait it
// out rather than fail (the conformance suite's ConcurrentOpen hit it about
// once in thirty runs).
func TestConcurrentFirstOpen(t *testing.T) {
	const rounds, openers = 150, 8
	for round := range rounds {
		path := filepath.Join(t.TempDir(), "decisions.db")
		errs := make([]error, openers)
		var wg sync.WaitGroup
		for i := range openers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := audit.Open(context.Background(), path, audit.Options{})
				if err == nil {
					s.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, open %d: %v", round, i, err)
			}
		}
	}
}
