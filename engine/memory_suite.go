package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/verdicthq/verdict/report"
)

// MaxListValue is the longest list value, in bytes.
const MaxListValue = 1024

// ParseListFile reads the values of a file-backed list: one value a line,
// surrounding spaces trimmed; blank lines and lines starting with # are
// skipped. A value over MaxListValue bytes or a line that is not UTF-8 text
// is an error naming its line.
func ParseListFile(data []byte) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) > MaxListValue {
			return nil, fmt.Errorf("line %d: a value of %d bytes; the limit is %d", n, len(line), MaxListValue)
		}
		if !isText(line) {
			return nil, fmt.Errorf("line %d: not UTF-8 text", n)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read list file: %w", err)
	}
	return out, nil
}

func isText(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' || r < ' ' && r != '\t' {
			return false
		}
	}
	return true
}

// suiteFacts are a suite case's facts: its report, context and time, its
// lists (file-backed lists from their files unless the case gives them) and
// its counters (0 unless given).
func (p *Policy) suiteFacts(r *report.Report, c suiteCase) (Facts, error) {
	f := Facts{Report: r, Context: c.Context, Now: c.Now}
	if len(p.lists) == 0 && len(c.Lists) > 0 {
		return f, fmt.Errorf("lists: the policy declares no lists")
	}
	var err error
	f.Lists, f.Counters, err = StaticMemory(p.lists, p.counters, filepath.Dir(p.file), c.Lists, c.Counters, f)
	return f, err
}

// StaticMemory is what a decision over f reads when no decision log is at
// hand (suites, verdict eval): the lists decls declares, holding items by
// name — a file-backed list not in items holds its file's values, read from
// dir (the rules folder) —, and the counters, each with the value in values
// (0 when absent) for its key over f (KeyMissing, reading 0, when f has
// none). A name in items or values that is not declared is an error, and so
// is a list file that cannot be read.
func StaticMemory(decls []ListDecl, counters []CounterDecl, dir string, items map[string][]string, values map[string]float64, f Facts) (Lists, map[string]CounterValue, error) {
	var lists Lists
	if len(decls) > 0 || len(items) > 0 {
		all := map[string][]string{}
		for _, l := range decls {
			if l.File == "" || items[l.Name] != nil {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(l.File)))
			if err != nil {
				return nil, nil, fmt.Errorf("list %s: %w", l.Name, err)
			}
			if all[l.Name], err = ParseListFile(data); err != nil {
				return nil, nil, fmt.Errorf("list %s (%s): %w", l.Name, l.File, err)
			}
		}
		for name, v := range items {
			all[name] = v
		}
		sl, err := NewStaticLists(decls, all)
		if err != nil {
			return nil, nil, err
		}
		lists = sl
	}
	var out map[string]CounterValue
	if len(counters) > 0 || len(values) > 0 {
		out = make(map[string]CounterValue, len(counters))
		for i := range counters {
			cd := &counters[i]
			key, ok := cd.Key(f)
			v := values[cd.Name]
			if !ok {
				v = 0
			}
			out[cd.Name] = CounterValue{Key: key, Value: v, KeyMissing: !ok}
		}
		for name := range values {
			if _, ok := out[name]; !ok {
				return nil, nil, fmt.Errorf("counters: %q is not declared by the policy", name)
			}
		}
	}
	return lists, out, nil
}
