package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
)

// listFlag is --list NAME=V1,V2 (repeatable): a list's contents for an
// offline eval.
type listFlag map[string][]string

func (l listFlag) String() string { return "" }

func (l listFlag) Set(s string) error {
	name, values, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE[,VALUE...], got %q", s)
	}
	l[name] = append(l[name], strings.Split(values, ",")...)
	return nil
}

// counterFlag is --counter NAME=N (repeatable): a counter's value for an
// offline eval.
type counterFlag map[string]float64

func (c counterFlag) String() string { return "" }

func (c counterFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	n, err := strconv.ParseFloat(value, 64)
	if !ok || name == "" || err != nil {
		return fmt.Errorf("want NAME=NUMBER, got %q", s)
	}
	c[name] = n
	return nil
}

// evalMemory is an offline eval's memory: lists and counters from the
// flags (file-backed lists from their files in the rules folder, counters
// not given read 0), as a suite case's are (engine.StaticMemory).
type evalMemory struct {
	dir      string
	lists    listFlag
	counters counterFlag
	err      error // the first problem, reported after the decision
}

// Read fills the facts for the live and shadow policies.
func (m *evalMemory) Read(f *engine.Facts, live, shadow *engine.Policy) {
	decls, ctrs := live.Lists(), live.Counters()
	if shadow != nil {
		decls, ctrs = append(append([]engine.ListDecl(nil), decls...), shadow.Lists()...), append(append([]engine.CounterDecl(nil), ctrs...), shadow.Counters()...)
	}
	lists, counters, err := engine.StaticMemory(dedupeLists(decls), ctrs, m.dir, m.lists, m.counters, *f)
	if err != nil {
		m.err = err
		return
	}
	f.Lists, f.Counters = lists, counters
}

// Recorded does nothing: an offline eval records nothing.
func (m *evalMemory) Recorded(*decision.Result) {}

func dedupeLists(decls []engine.ListDecl) []engine.ListDecl {
	seen := map[string]bool{}
	out := decls[:0:0]
	for _, d := range decls {
		if !seen[d.Name] {
			seen[d.Name] = true
			out = append(out, d)
		}
	}
	return out
}

// rulesDir is the rules folder of --rules: itself, or a policy file's folder.
func rulesDir(path string) string {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		return filepath.Dir(path)
	}
	return path
}
