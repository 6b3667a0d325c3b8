package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// IsPolicyFile reports whether a file name is a policy (*.yaml or *.yml) and
// not a test suite (*_test.yaml, *_test.yml).
func IsPolicyFile(name string) bool {
	ext := filepath.Ext(name)
	if ext != ".yaml" && ext != ".yml" {
		return false
	}
	return !strings.HasSuffix(strings.TrimSuffix(name, ext), "_test")
}

// LoadDir loads every policy file in dir (not *_test.yaml, not sub-folders)
// as one Set. It returns LoadErrors with every problem in every file, and the
// set-level ones: no or several live default policies, two policies of the
// same mode matching one tag, two policies with one name. Policies load under
// DefaultLimits.
func LoadDir(dir string) (*Set, error) { return DefaultLimits.LoadDir(dir) }

// LoadDir is LoadDir under the limits lim (zero fields take the defaults).
func (lim Limits) LoadDir(dir string) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, LoadErrors{{File: dir, Line: 0, Col: 0, Code: CodeIO, Message: fmt.Sprintf("read policy folder: %v", err)}}
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && IsPolicyFile(e.Name()) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	return lim.LoadFiles(dir, files)
}

// LoadFiles loads the named policy files as one Set; dir names the set in
// errors. Policies load under DefaultLimits.
func LoadFiles(dir string, files []string) (*Set, error) { return DefaultLimits.LoadFiles(dir, files) }

// LoadFiles is LoadFiles under the limits lim (zero fields take the defaults).
func (lim Limits) LoadFiles(dir string, files []string) (*Set, error) {
	var all LoadErrors
	var policies []*Policy
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			all = append(all, &LoadError{File: f, Code: CodeIO, Message: fmt.Sprintf("read policy: %v", err)})
			continue
		}
		el := &errList{file: f}
		p := buildPolicy(f, data, el, lim.orDefault())
		all = append(all, el.errs...)
		if p != nil {
			policies = append(policies, p)
		}
	}
	if len(files) == 0 {
		all = append(all, &LoadError{File: dir, Code: CodeDefault, Message: "no policy files (*.yaml) in the folder; a set needs one default policy"})
	}
	s := &Set{policies: policies, loadedAt: time.Now(), live: map[string]*Policy{}, shadow: map[string]*Policy{}}
	all = append(all, s.index(dir)...)
	all = append(all, s.checkCounterBudget(lim.orDefault())...)
	if len(all) > 0 {
		sortErrors(all)
		return nil, all
	}
	return s, nil
}
