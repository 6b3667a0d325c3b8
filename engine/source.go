package engine

import "time"

// Source is one policy file already read by the caller: its path (as errors
// name it) and its content.
type Source struct {
	File string
	Data []byte
}

// LoadSources loads policies the caller has read itself as one Set, with
// the same checks and errors as LoadFiles; dir names the set in errors. The
// hot reloader (internal/reload) reads the rules folder with its own limits
// (regular files only, a size cap) and hands the content over here.
// Policies load under DefaultLimits.
func LoadSources(dir string, srcs []Source) (*Set, error) {
	return DefaultLimits.LoadSources(dir, srcs)
}

// LoadSources is LoadSources under the limits lim (zero fields take the defaults).
func (lim Limits) LoadSources(dir string, srcs []Source) (*Set, error) {
	var all LoadErrors
	var policies []*Policy
	for _, src := range srcs {
		el := &errList{file: src.File}
		p := buildPolicy(src.File, src.Data, el, lim.orDefault())
		all = append(all, el.errs...)
		if p != nil {
			policies = append(policies, p)
		}
	}
	if len(srcs) == 0 {
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
