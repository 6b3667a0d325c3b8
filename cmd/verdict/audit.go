package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/postgres" // postgres:// decision logs
	_ "github.com/verdicthq/verdict/audit/sqlite"   // file and sqlite:// decision logs
)

func init() {
	register(&command{name: "audit", summary: "read the decision log: audit export", run: runAudit})
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
	return audit.DefaultDatabaseURL
}

func runAudit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprintln(stderr, "usage: verdict audit export --since TIME [--until TIME] [--database URL] > traces.jsonl")
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			return 0
		}
		return 2
	}
	fs := flag.NewFlagSet("verdict audit export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.String("since", "", "first decision time, inclusive: RFC 3339, a date (2026-11-01), or back from now (24h, 7d); empty: the oldest")
	until := fs.String("until", "", "last decision time, exclusive, same forms; empty: now")
	db := fs.String("database", "", "decision log URL (default $VERDICT_DATABASE_URL, else "+audit.DefaultDatabaseURL+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "verdict audit export streams decision traces as JSON Lines, oldest first, to stdout.")
		fs.PrintDefaults()
	}
	if code, ok := parseNoArgs(fs, args[1:], "verdict audit export", stderr); !ok {
		return code
	}
	now := time.Now()
	var from, to time.Time
	var err error
	if *since != "" {
		if from, err = audit.ParseTime(*since, now); err != nil {
			fmt.Fprintf(stderr, "verdict audit export: --since: %v\n", err)
			return 2
		}
	}
	to = now
	if *until != "" {
		if to, err = audit.ParseTime(*until, now); err != nil {
			fmt.Fprintf(stderr, "verdict audit export: --until: %v\n", err)
			return 2
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
