package reload

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/verdicthq/verdict/engine"
)

// MaxPolicyFileBytes is the largest policy file the reloader reads: the
// engine's limit on a policy file. A larger file is a load error; it is
// never read whole.
var MaxPolicyFileBytes = int64(engine.DefaultLimits.FileBytes)

// LoadDir loads the policy files of dir as one set, reading them safely:
// only regular files (directly or through a symlink) are read; a named pipe,
// a device, a socket or a link to one is refused with a load error before
// anything reads from it, and never blocks; every read stops at
// MaxPolicyFileBytes. Any unreadable file rejects the whole set, so a set
// never goes live without one of its policies. It is the Reloader's default
// loader, and what every CLI command that reads a rules folder uses.
func LoadDir(dir string) (*engine.Set, error) {
	srcs, err := readPolicyFiles(dir)
	if err != nil {
		return nil, err
	}
	return engine.LoadSources(dir, srcs)
}

// readPolicyFiles reads every policy file of dir (engine.IsPolicyFile; not
// sub-folders), sorted by name. Problems are engine.LoadErrors with code io,
// one per file.
func readPolicyFiles(dir string) ([]engine.Source, error) {
	st, err := os.Stat(dir)
	if err == nil && !st.IsDir() {
		err = fmt.Errorf("%s is a %s, not a folder", dir, kind(st.Mode()))
	}
	if err != nil {
		return nil, engine.LoadErrors{{File: dir, Code: engine.CodeIO, Message: fmt.Sprintf("read policy folder: %v", err)}}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, engine.LoadErrors{{File: dir, Code: engine.CodeIO, Message: fmt.Sprintf("read policy folder: %v", err)}}
	}
	var names []string
	for _, e := range entries {
		if engine.IsPolicyFile(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var srcs []engine.Source
	var errs engine.LoadErrors
	for _, name := range names {
		path := filepath.Join(dir, name)
		data, err := readPolicyFile(path)
		if errors.Is(err, errFolder) {
			continue // a sub-folder named like a policy: not a policy, as in engine.LoadDir
		}
		if err != nil {
			errs = append(errs, &engine.LoadError{File: path, Code: engine.CodeIO, Message: err.Error()})
			continue
		}
		srcs = append(srcs, engine.Source{File: path, Data: data})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return srcs, nil
}

// errFolder marks a folder where a file was expected.
var errFolder = errors.New("a folder")

// readPolicyFile reads one policy file if it is a regular file of at most
// MaxPolicyFileBytes. It checks the type before opening (Stat follows links,
// so a link to /dev/zero is a device), opens without blocking (a FIFO swapped
// in after the check does not wait for a writer), and checks the opened
// file's type again before reading, so what it reads is what it checked.
func readPolicyFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	if err := checkRegular(st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	defer f.Close()
	st, err = f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	if err := checkRegular(st); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxPolicyFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	if int64(len(data)) > MaxPolicyFileBytes {
		return nil, fmt.Errorf("the policy file is larger than %d bytes (1 MiB), the limit; split it into several policies", MaxPolicyFileBytes)
	}
	return data, nil
}

// checkRegular refuses anything but a regular file of at most
// MaxPolicyFileBytes.
func checkRegular(st fs.FileInfo) error {
	m := st.Mode()
	switch {
	case m.IsDir():
		return errFolder
	case !m.IsRegular():
		return fmt.Errorf("not a regular file but a %s: only regular policy files (or links to them) are read", kind(m))
	case st.Size() > MaxPolicyFileBytes:
		return fmt.Errorf("the policy file is %d bytes, over the %d-byte (1 MiB) limit; split it into several policies", st.Size(), MaxPolicyFileBytes)
	}
	return nil
}

// kind names a file mode's type for errors.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "folder"
	case m.IsRegular():
		return "regular file"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	}
	return "special file"
}
