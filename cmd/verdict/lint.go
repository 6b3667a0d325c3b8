package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/verdicthq/verdict/engine"
)

func init() {
	register(&command{name: "lint", summary: "check policies for errors (file:line:col)", run: runLint})
}

// runLint loads every PATH (a policy folder as a set, or one policy file) and
// prints every load error; exit 1 if there is one.
func runLint(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("lint", "[PATH...]",
		"Loads each policy folder (as a set) or policy file and prints every error\nas file:line:col: message. Exits 1 if there is any. PATH defaults to rules/.")
	paths, code, ok := fs.parsePaths(args, stdout, stderr)
	if !ok {
		return code
	}
	failed := false
	for _, path := range paths {
		n, err := loadPath(path)
		if err != nil {
			failed = true
			printLoadError(stdout, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%d policies)\n", path, n)
	}
	if failed {
		return 1
	}
	return 0
}

// loadPath loads a folder as a set or a single policy file; it returns the number of policies.
func loadPath(path string) (int, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if st.IsDir() {
		s, err := engine.LoadDir(path)
		if err != nil {
			return 0, err
		}
		return len(s.Policies()), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if _, err := engine.ParsePolicy(path, data); err != nil {
		return 0, err
	}
	return 1, nil
}

func printLoadError(w io.Writer, err error) {
	var les engine.LoadErrors
	if errors.As(err, &les) {
		for _, e := range les {
			fmt.Fprintln(w, e.Error())
		}
		return
	}
	fmt.Fprintln(w, err)
}
