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
	if len(p.lists) > 0 {
		items := map[string][]string{}
		for _, l := range p.lists {
			if l.File == "" {
				continue
			}
			data, err := os.ReadFile(filepath.Join(filepath.Dir(p.file), filepath.FromSlash(l.File)))
			if err != nil {
				return f, fmt.Errorf("list %s: %w", l.Name, err)
			}
			if items[l.Name], err = ParseListFile(data); err != nil {
				return f, fmt.Errorf("list %s (%s): %w", l.Name, l.File, err)
			}
		}
		for name, values := range c.Lists {
			items[name] = values
		}
		lists, err := NewStaticLists(p.lists, items)
		if err != nil {
			return f, err
		}
		f.Lists = lists
	} else if len(c.Lists) > 0 {
		return f, fmt.Errorf("lists: the policy declares no lists")
	}
	if len(p.counters) > 0 || len(c.Counters) > 0 {
		f.Counters = map[string]CounterValue{}
		for i := range p.counters {
			cd := &p.counters[i]
			key, ok := cd.Key(f)
			f.Counters[cd.Name] = CounterValue{Key: key, Value: c.Counters[cd.Name], KeyMissing: !ok}
		}
		for name := range c.Counters {
			if _, ok := f.Counters[name]; !ok {
				return f, fmt.Errorf("counters: %q is not declared by the policy", name)
			}
		}
	}
	return f, nil
}
