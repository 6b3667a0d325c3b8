package engine

import (
	"fmt"
	"slices"
	"strings"
)

// unionMemory gathers the lists and counters of the set's policies: one name
// is one list or one counter across the set. A list declared twice must have
// one kind and one file; a counter declared twice, one definition.
func (s *Set) unionMemory() LoadErrors {
	var errs LoadErrors
	lists := map[string]int{} // index in s.lists
	counters := map[string]int{}
	for _, p := range s.policies {
		for _, l := range p.lists {
			i, seen := lists[l.Name]
			if !seen {
				lists[l.Name] = len(s.lists)
				s.lists = append(s.lists, l)
				continue
			}
			first := s.lists[i]
			if first.Kind != l.Kind || first.File != l.File {
				line, col := position(l.Position)
				errs = append(errs, &LoadError{File: p.file, Line: line, Col: col, Code: CodeDuplicate,
					Message: fmt.Sprintf("list %q is declared at %s as %s; one name is one list across the policies: give it the same kind and file, or another name",
						l.Name, first.Position, describeList(first))})
			}
			if first.Description == "" {
				s.lists[i].Description = l.Description
			}
		}
		for _, c := range p.counters {
			i, seen := counters[c.Name]
			if !seen {
				counters[c.Name] = len(s.counters)
				s.counters = append(s.counters, c)
				continue
			}
			if first := s.counters[i]; first.Definition != c.Definition {
				line, col := position(c.Position)
				errs = append(errs, &LoadError{File: p.file, Line: line, Col: col, Code: CodeDuplicate,
					Message: fmt.Sprintf("counter %q is declared at %s as %s; one name is one counter across the policies: give it the same definition, or another name",
						c.Name, first.Position, first.Definition)})
			}
		}
	}
	slices.SortFunc(s.lists, func(a, b ListDecl) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(s.counters, func(a, b CounterDecl) int { return strings.Compare(a.Name, b.Name) })
	return errs
}

func describeList(l ListDecl) string {
	if l.File != "" {
		return fmt.Sprintf("kind %s, file %s", l.Kind, l.File)
	}
	return fmt.Sprintf("kind %s, kept in the decision log", l.Kind)
}

// position reads the line and column back from "file:line:col".
func position(pos string) (line, col int) {
	i := strings.LastIndexByte(pos, ':')
	j := strings.LastIndexByte(pos[:max(i, 0)], ':')
	if i < 0 || j < 0 {
		return 0, 0
	}
	fmt.Sscanf(pos[j+1:], "%d:%d", &line, &col)
	return line, col
}
