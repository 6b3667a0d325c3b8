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

// LoadDir loads the policy files of dir as one set, reading them safely:
// only regular files (directly or through a symlink) are read; a named pipe,
// a device, a socket or a link to one is refused with a load error before
// anything reads from it, and never blocks; every read stops at
// the engine's limit on a policy file (engine.Limits.FileBytes). Any
// unreadable file rejects the whole set, so a set never goes live without
// one of its policies. It is the Reloader's default loader, and what every
// CLI command that reads a rules folder uses. Policies load under
// engine.DefaultLimits.
func LoadDir(dir string) (*engine.Set, error) { return LoadDirWith(dir, engine.DefaultLimits) }

// LoadDirWith is LoadDir under the policy limits lim (zero fields take the
// engine's defaults), as `verdict serve` loads under its policy_limits.
func LoadDirWith(dir string, lim engine.Limits) (*engine.Set, error) {
	lim = lim.WithDefaults()
	srcs, err := readPolicyFiles(dir, int64(lim.FileBytes))
	if err != nil {
		return nil, err
	}
	return lim.LoadSources(dir, srcs)
}

// readPolicyFiles reads every policy file of dir (engine.IsPolicyFile; not
// sub-folders), sorted by name. Problems are engine.LoadErrors with code io,
// one per file.
func readPolicyFiles(dir string, maxBytes int64) ([]engine.Source, error) {
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
		data, err := readPolicyFile(path, maxBytes)
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
// maxBytes. It checks the type before opening (Stat follows links,
// so a link to /dev/zero is a device), opens without blocking (a FIFO swapped
// in after the check does not wait for a writer), and checks the opened
// file's type again before reading, so what it reads is what it checked.
func readPolicyFile(path string, maxBytes int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	if err := checkRegular(st, maxBytes); err != nil {
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
	if err := checkRegular(st, maxBytes); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("the policy file is larger than %d bytes, the limit (policy_limits.file_bytes); split it into several policies", maxBytes)
	}
	return data, nil
}

// checkRegular refuses anything but a regular file of at most
// maxBytes.
func checkRegular(st fs.FileInfo, maxBytes int64) error {
	m := st.Mode()
	switch {
	case m.IsDir():
		return errFolder
	case !m.IsRegular():
		return fmt.Errorf("not a regular file but a %s: only regular policy files (or links to them) are read", kind(m))
	case st.Size() > maxBytes:
		return fmt.Errorf("the policy file is %d bytes, over the %d-byte limit (policy_limits.file_bytes); split it into several policies", st.Size(), maxBytes)
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
