package lists

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/verdicthq/verdict/engine"
)

// MaxFileBytes bounds a file-backed list's file.
const MaxFileBytes = 64 << 20

// DeclsOf returns the lists a policy set declares, by name.
func DeclsOf(set *engine.Set) map[string]Decl {
	if set == nil {
		return nil
	}
	ds := set.Lists()
	out := make(map[string]Decl, len(ds))
	for _, d := range ds {
		kind := d.Kind
		if kind == "" {
			kind = KindStrings
		}
		out[d.Name] = Decl{Name: d.Name, Kind: kind, File: d.File, Description: d.Description}
	}
	return out
}

// ReadFile reads a file-backed list's values from its file under the rules
// folder dir: one value a line; blank lines and lines starting with # are
// skipped; each value is checked and canonicalized as the list routes do
// (an error names the file and line).
func ReadFile(dir string, d Decl) ([]string, error) {
	path := filepath.Join(dir, filepath.FromSlash(d.File))
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.Name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.Name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("list %s: %s is not a regular file", d.Name, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("list %s: read %s: %w", d.Name, path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("list %s: %s is over %d MiB", d.Name, path, MaxFileBytes>>20)
	}
	return ParseValues(d.File, d.Kind, bytes.NewReader(data))
}

// ParseValues reads values one a line (blank lines and # comments
// skipped), canonicalized for kind; name is the source's name in errors.
func ParseValues(name, kind string, r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for line := 1; sc.Scan(); line++ {
		v := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if v == "" || strings.HasPrefix(v, "#") {
			continue
		}
		cv, err := Canonical(kind, v)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, cv)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// LoadFiles reads the file-backed lists set declares into the snapshot and
// forgets file-backed lists it no longer declares. It reads every file
// before changing anything, so a bad file changes nothing.
func (m *Memory) LoadFiles(dir string, set *engine.Set) error {
	decls := DeclsOf(set)
	files := map[string][]string{}
	for name, d := range decls {
		if d.File == "" {
			continue
		}
		vs, err := ReadFile(dir, d)
		if err != nil {
			return err
		}
		files[name] = vs
	}
	for name, vs := range files {
		m.SetFile(name, vs)
	}
	m.mu.RLock()
	var stale []string
	for name, l := range m.lists {
		if _, ok := files[name]; l.file && !ok {
			stale = append(stale, name)
		}
	}
	m.mu.RUnlock()
	for _, name := range stale {
		m.DropFile(name)
	}
	return nil
}
