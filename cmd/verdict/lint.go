package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/reload"
)

func init() {
	register(&command{name: "lint", summary: "check policies for errors (file:line:col)", run: runLint})
}

// runLint loads every PATH (a policy folder as a set, or one policy file) and
// prints every load error; exit 1 if there is one.
func runLint(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("lint", "[--cost] [PATH...]",
		"Loads each policy folder (as a set) or policy file and prints every error\nas file:line:col: message. Exits 1 if there is any. PATH defaults to rules/.")
	cost := fs.Bool("cost", false, "also print each rule's worst-case cost per decision (work units and bytes)")
	paths, code, ok := fs.parsePaths(args, stdout, stderr)
	if !ok {
		return code
	}
	failed := false
	for _, path := range paths {
		policies, err := loadPath(path)
		if err != nil {
			failed = true
			printLoadError(stdout, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%d policies)\n", path, len(policies))
		if *cost {
			printCosts(stdout, policies)
		}
	}
	if failed {
		return 1
	}
	return 0
}

// loadPath loads a folder as a set or a single policy file; it returns the policies.
func loadPath(path string) ([]*engine.Policy, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		s, err := reload.LoadDir(path)
		if err != nil {
			return nil, err
		}
		var out []*engine.Policy
		for _, info := range s.Policies() {
			out = append(out, s.Policy(info.Name))
		}
		return out, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := engine.ParsePolicy(path, data)
	if err != nil {
		return nil, err
	}
	return []*engine.Policy{p}, nil
}

// printCosts prints each rule's worst-case cost and each policy's total,
// against the limits a decision must stay within.
func printCosts(w io.Writer, policies []*engine.Policy) {
	lim := engine.DefaultLimits
	for _, p := range policies {
		var units, bytes int64
		for _, c := range p.Costs() {
			fmt.Fprintf(w, "%s: rule %q: cost %d units, %d bytes\n", c.Position, c.RuleID, c.Units, c.Bytes)
			units, bytes = units+c.Units, bytes+c.Bytes
		}
		fmt.Fprintf(w, "policy %q: cost %d of %d units, %d of %d bytes per decision\n", p.Name(), units, lim.Cost, bytes, lim.Memory)
	}
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
