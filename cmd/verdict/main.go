// Command verdict is the fraud-decision service and its tools: serve, eval,
// test, lint, replay, sim, audit, healthcheck and version. Each subcommand
// lives in its own file and registers itself; this file only dispatches. The
// CLI conventions (help, exit codes, error prefixes) are in flags.go and
// docs/cli.md.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one verdict subcommand.
type command struct {
	name    string
	summary string
	// run gets the arguments after the subcommand name and returns the exit code.
	run func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

// register adds a subcommand; each subcommand file calls it from init.
func register(c *command) { commands[c.name] = c }

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the command args name and returns the exit code: `verdict`
// alone is a usage error (2, usage on stderr); help, -h and --help print the
// usage to stdout; `help CMD` is `CMD --help`; --version and -v print the
// version.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "verdict: no command given")
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok && len(args) == 2 {
				return c.run([]string{"--help"}, stdout, stderr)
			}
			fmt.Fprintf(stderr, "verdict help: unknown command %q\n", strings.Join(args[1:], " "))
			return 2
		}
		usage(stdout)
		return 0
	case "-v", "--version", "-version":
		return runVersion(args[1:], stdout, stderr)
	}
	c, ok := commands[args[0]]
	if !ok {
		what := "command"
		if strings.HasPrefix(args[0], "-") {
			what = "flag"
		}
		fmt.Fprintf(stderr, "verdict: unknown %s %q\nRun 'verdict --help' for the commands.\n", what, args[0])
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: verdict <command> [flags] [arguments]")
	fmt.Fprintln(w, "\nverdict decides whether a checkout session may pay: allow, review or deny.")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nFlags:\n  -h, --help\n        print this help\n  -v, --version\n        print the version")
	fmt.Fprintln(w, "\nRun 'verdict <command> --help' for a command's flags.")
}
