package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// cmdFlags is one command's flags and usage text, over the standard flag
// package. It keeps verdict's CLI conventions in one place (docs/cli.md):
//
//   - -h and --help print the usage to stdout and exit 0;
//   - a bad flag, a bad flag value or an unexpected argument prints
//     "verdict <command>: <what is wrong>" and the usage line to stderr and
//     exits 2;
//   - flags are listed, and written in usage lines, as --name (a one-letter
//     alias as -v); flags may come before or after arguments.
type cmdFlags struct {
	*flag.FlagSet
	name    string            // "verdict eval"
	usage   string            // the arguments after the name, e.g. "--report FILE [--rules PATH]"
	about   string            // what the command does, printed under the usage line
	footer  string            // printed after the flag list (environment variables, examples)
	aliases map[string]string // one-letter alias -> long flag name
}

// newFlags returns the flags of `verdict <name>`; usage is the usage line's
// arguments, about the paragraph below it.
func newFlags(name, usage, about string) *cmdFlags {
	f := &cmdFlags{FlagSet: flag.NewFlagSet("verdict "+name, flag.ContinueOnError), name: "verdict " + name,
		usage: usage, about: about, aliases: map[string]string{}}
	f.SetOutput(io.Discard) // parse errors and help are printed by parse, to the right stream
	f.Usage = func() {}
	return f
}

// alias makes -short another name of the flag long (already defined).
func (f *cmdFlags) alias(short, long string) {
	fl := f.Lookup(long)
	if fl == nil {
		panic("alias of an undefined flag " + long)
	}
	f.Var(fl.Value, short, "alias of --"+long)
	f.aliases[short] = long
}

// usageLine is "Usage: verdict <command> <arguments>".
func (f *cmdFlags) usageLine() string {
	return strings.TrimSpace("Usage: " + f.name + " " + f.usage)
}

// printUsage writes the whole help: usage line, about, the flag list, footer.
func (f *cmdFlags) printUsage(w io.Writer) {
	fmt.Fprintln(w, f.usageLine())
	if f.about != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(f.about, "\n"))
	}
	var lines []string
	f.VisitAll(func(fl *flag.Flag) {
		if _, isAlias := f.aliases[fl.Name]; isAlias {
			return
		}
		lines = append(lines, f.flagHelp(fl))
	})
	if len(lines) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
	if f.footer != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(f.footer, "\n"))
	}
}

// flagHelp is one flag's entry: "  -v, --verbose" or "  --rules PATH", then
// its usage and default on the next line.
func (f *cmdFlags) flagHelp(fl *flag.Flag) string {
	names := "--" + fl.Name
	for short, long := range f.aliases {
		if long == fl.Name {
			names = "-" + short + ", " + names
		}
	}
	typ, usage := flag.UnquoteUsage(fl)
	if !strings.Contains(fl.Usage, "`") {
		typ = strings.ToUpper(typ) // a type name (string, duration): the placeholder is DURATION
	}
	if typ != "" {
		names += " " + typ
	}
	if fl.DefValue != "" && fl.DefValue != "false" && fl.DefValue != "0" && fl.DefValue != "0s" {
		usage += fmt.Sprintf(" (default %s)", fl.DefValue)
	}
	return "  " + names + "\n        " + usage
}

// parse reads flags (anywhere among the arguments; "--" ends them) and
// returns the arguments. With ok false the command returns code at once: 0
// after printing the help to stdout, 2 after printing a usage error.
func (f *cmdFlags) parse(args []string, stdout, stderr io.Writer) (rest []string, code int, ok bool) {
	for {
		err := f.FlagSet.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.printUsage(stdout)
			return nil, 0, false
		}
		if err != nil {
			return nil, f.usageError(stderr, "%s", f.flagMessage(err)), false
		}
		left := f.Args()
		if len(left) == 0 {
			return rest, 0, true
		}
		if n := len(args) - len(left); n > 0 && args[n-1] == "--" {
			return append(rest, left...), 0, true
		}
		rest, args = append(rest, left[0]), left[1:]
	}
}

// parseNoArgs is parse for a command that takes no argument: one is a usage
// error.
func (f *cmdFlags) parseNoArgs(args []string, stdout, stderr io.Writer) (code int, ok bool) {
	rest, code, ok := f.parse(args, stdout, stderr)
	if !ok {
		return code, false
	}
	if len(rest) > 0 {
		return f.usageError(stderr, "unexpected argument %q", rest[0]), false
	}
	return 0, true
}

// parsePaths is parse for a command over policy PATHs: rules/ when none is
// given.
func (f *cmdFlags) parsePaths(args []string, stdout, stderr io.Writer) (paths []string, code int, ok bool) {
	paths, code, ok = f.parse(args, stdout, stderr)
	if ok && len(paths) == 0 {
		paths = []string{"rules"}
	}
	return paths, code, ok
}

// usageError prints "verdict <command>: <message>", the usage line and where
// to read more to stderr, and returns 2.
func (f *cmdFlags) usageError(stderr io.Writer, format string, a ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n%s\nRun '%s --help' for the flags.\n", f.name, fmt.Sprintf(format, a...), f.usageLine(), f.name)
	return 2
}

// fail prints "verdict <command>: <message>" to stderr and returns code.
func (f *cmdFlags) fail(stderr io.Writer, code int, format string, a ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n", f.name, fmt.Sprintf(format, a...))
	return code
}

// flagMessage rewrites the flag package's messages, which always write a
// flag as -name, to the syntax the help shows: --name (-v for a one-letter
// alias).
func (f *cmdFlags) flagMessage(err error) string {
	msg := err.Error()
	for _, form := range []struct{ marker, prefix, suffix string }{
		{"flag provided but not defined: -", "unknown flag ", ""},
		{"flag needs an argument: -", "flag ", " needs a value"},
	} {
		if name, ok := strings.CutPrefix(msg, form.marker); ok {
			return form.prefix + f.dashed(name) + form.suffix
		}
	}
	// invalid value "x" for flag -name: why; invalid boolean value "x" for -name: why
	for _, marker := range []string{" for flag -", " for -"} {
		if i := strings.Index(msg, marker); i >= 0 {
			if name, why, ok := strings.Cut(msg[i+len(marker):], ": "); ok {
				return msg[:i] + " for flag " + f.dashed(name) + ": " + why
			}
		}
	}
	return msg
}

// dashed writes a flag name as the help does: -v for an alias, else --name.
func (f *cmdFlags) dashed(name string) string {
	name = strings.TrimLeft(name, "-")
	if _, ok := f.aliases[name]; ok {
		return "-" + name
	}
	return "--" + name
}
