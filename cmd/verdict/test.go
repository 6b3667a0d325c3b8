package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/reload"
)

func init() {
	register(&command{name: "test", summary: "run policy test suites (*_test.yaml)", run: runTest})
}

// runTest runs the suites found in each PATH (a folder: its *_test.yaml
// files against the folder's set; a suite file: against its folder's set).
// It prints each case and exits 1 on any failure or load error.
func runTest(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("test", "[-v] [PATH...]",
		"Runs the policy test suites (*_test.yaml) in each folder, or the named suite\nfiles, against the policies of their folder. Prints each case; on a mismatch,\nexpected against actual. Exits 1 on any failure. PATH defaults to rules/.")
	verbose := fs.Bool("verbose", false, "print the fired rules of passing cases too")
	fs.alias("v", "verbose")
	paths, code, ok := fs.parsePaths(args, stdout, stderr)
	if !ok {
		return code
	}
	byDir, err := suitesByDir(paths)
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	passed, failed := 0, 0
	for _, dir := range dirs {
		set, err := reload.LoadDir(dir)
		if err != nil {
			printLoadError(stdout, err)
			failed++
			continue
		}
		for _, suite := range byDir[dir] {
			res, err := set.RunSuite(suite)
			if err != nil {
				fmt.Fprintf(stdout, "ERROR %v\n", err)
				failed++
				continue
			}
			fmt.Fprintf(stdout, "%s (policy %s %.12s)\n", suite, res.Policy.Name, res.Policy.Version)
			for _, c := range res.Cases {
				if c.Passed {
					passed++
					fmt.Fprintf(stdout, "  PASS %s\n", c.Name)
					if *verbose {
						fmt.Fprintf(stdout, "       %s, fired %v\n", c.Decision.Outcome, ids(c.Decision))
					}
					continue
				}
				failed++
				fmt.Fprintf(stdout, "  FAIL %s\n", c.Name)
				for _, p := range c.Problems {
					fmt.Fprintf(stdout, "       %s\n", p)
				}
			}
			for _, u := range res.Uncovered {
				fmt.Fprintf(stdout, "  note: %s\n", u)
			}
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

func ids(d engine.Decision) []string {
	out := make([]string, len(d.FiredRules))
	for i, f := range d.FiredRules {
		out[i] = f.ID
	}
	return out
}

// suitesByDir finds the suite files named by paths, grouped by folder.
func suitesByDir(paths []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if !engine.IsSuiteFile(filepath.Base(p)) {
				return nil, fmt.Errorf("%s is not a test suite (*_test.yaml)", p)
			}
			out[filepath.Dir(p)] = append(out[filepath.Dir(p)], p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		found := false
		for _, e := range entries {
			if !e.IsDir() && engine.IsSuiteFile(e.Name()) {
				out[p] = append(out[p], filepath.Join(p, e.Name()))
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no test suites (*_test.yaml) in %s", p)
		}
	}
	return out, nil
}
