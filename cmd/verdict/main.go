// Command verdict is the fraud-decision service and its tools: serve, eval,
// test, lint, replay, sim, audit and version. Each subcommand lives in its own
// file and registers itself; this file only dispatches.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
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

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "verdict: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "verdict decides whether a checkout session may pay: allow, review or deny.")
	fmt.Fprintln(w, "\nUsage: verdict <command> [flags]   (verdict <command> --help for its flags)\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
}
