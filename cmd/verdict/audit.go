package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/postgres" // postgres:// decision logs
	_ "github.com/verdicthq/verdict/audit/sqlite"   // file and sqlite:// decision logs
	"github.com/verdicthq/verdict/internal/config"
)

func init() {
	register(&command{name: "audit", summary: "read the decision log: audit export, verify, policy, checkpoint", run: runAudit})
}

// databaseURL is the decision log a command reads: --database, else
// VERDICT_DATABASE_URL, else the default SQLite file.
func databaseURL(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv("VERDICT_DATABASE_URL"); v != "" {
		return v
	}
	return config.DefaultDatabaseURL
}

// auditUsage is the help of `verdict audit`, a group of subcommands.
const auditUsage = `Usage: verdict audit <command> [flags]

Reads the decision log.

Commands:
  export       stream decision traces as JSON Lines, oldest first, to stdout
  verify       recompute the hash chain: the first break (exit 1), or how many traces hold
  policy       print a policy version's exact source, as it went live
  checkpoint   sign the chain heads now, export the checkpoints, or verify an exported file offline

Run 'verdict audit <command> --help' for a command's flags.
`

// runAudit is `verdict audit`: alone it is a usage error (exit 2); --help
// prints its usage to stdout.
func runAudit(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, "verdict audit: no command given\n"+auditUsage)
		return 2
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help":
		if len(args) == 2 && args[0] == "help" && auditCommands[args[1]] != nil {
			return auditCommands[args[1]]([]string{"--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, auditUsage)
		return 0
	case auditCommands[args[0]] != nil:
		return auditCommands[args[0]](args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "verdict audit: unknown command %q\nRun 'verdict audit --help' for the commands.\n", args[0])
	return 2
}

// auditCommands are the subcommands of `verdict audit`.
var auditCommands map[string]func(args []string, stdout, stderr io.Writer) int

func init() {
	auditCommands = map[string]func([]string, io.Writer, io.Writer) int{
		"export": runAuditExport, "verify": runAuditVerify, "policy": runAuditPolicy, "checkpoint": runAuditCheckpoint,
	}
}

// runAuditExport is `verdict audit export`.
func runAuditExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("audit export", "[--since TIME] [--until TIME] [--database URL] > traces.jsonl",
		"Streams decision traces as JSON Lines, oldest first, to stdout.")
	since := fs.String("since", "", "the first decision `TIME`, inclusive: RFC 3339, a date (2026-11-01), or back from now (24h, 7d); empty: the oldest")
	until := fs.String("until", "", "the last decision `TIME`, exclusive, same forms; empty: now")
	db := fs.String("database", "", "the decision log `URL`; empty: $VERDICT_DATABASE_URL, else "+config.DefaultDatabaseURL)
	if code, ok := fs.parseNoArgs(args, stdout, stderr); !ok {
		return code
	}
	now := time.Now()
	var from, to time.Time
	var err error
	if *since != "" {
		if from, err = audit.ParseTime(*since, now); err != nil {
			return fs.usageError(stderr, "--since: %v", err)
		}
	}
	to = now
	if *until != "" {
		if to, err = audit.ParseTime(*until, now); err != nil {
			return fs.usageError(stderr, "--until: %v", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := audit.Open(ctx, databaseURL(*db), audit.Options{ReadOnly: true})
	if err != nil {
		fmt.Fprintf(stderr, "verdict audit export: %v\n", err)
		return 1
	}
	defer s.Close()
	n, unreadable, err := audit.ExportJSONL(ctx, s, from, to, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "verdict audit export: after %d traces: %v\n", n, err)
		return 1
	}
	if unreadable > 0 {
		fmt.Fprintf(stderr, "verdict audit export: %d traces, %d of them unreadable (exported as their id, decided_at, report and why)\n", n, unreadable)
		return 0
	}
	fmt.Fprintf(stderr, "verdict audit export: %d traces\n", n)
	return 0
}
