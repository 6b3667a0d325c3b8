package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// flagExit maps a flag parse error to an exit code: 0 for --help, 2 otherwise.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// parseNoArgs parses args into fs for a command that takes no positional
// argument. With ok false the command exits with code: 0 for --help, 2 for a
// bad flag or an argument, which is named on stderr after the command name.
func parseNoArgs(fs *flag.FlagSet, args []string, name string, stderr io.Writer) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		return flagExit(err), false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", name, fs.Arg(0))
		return 2, false
	}
	return 0, true
}

// parsePaths parses args into fs for a command over policy PATHs and returns
// them, rules/ when none is given. With ok false the command exits with
// code: 0 for --help, 2 for a bad flag.
func parsePaths(fs *flag.FlagSet, args []string) (paths []string, code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		return nil, flagExit(err), false
	}
	paths = fs.Args()
	if len(paths) == 0 {
		paths = []string{"rules"}
	}
	return paths, 0, true
}
