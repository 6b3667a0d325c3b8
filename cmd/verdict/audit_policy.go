package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/config"
)

// runAuditPolicy is `verdict audit policy VERSION`: the exact source bytes
// of a policy version as the log keeps it, to stdout; with --activations,
// when and how it went live, to stderr.
func runAuditPolicy(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("audit policy", "VERSION [--database URL] [--activations] > policy.yaml",
		"Prints the exact source of a policy version (its SHA-256, as traces name it) as the decision log kept it\n"+
			"when it went live or ran as shadow, whether or not the rules folder was ever in git.")
	db := fs.String("database", "", "the decision log `URL`; empty: $VERDICT_DATABASE_URL, else "+config.DefaultDatabaseURL)
	acts := fs.Bool("activations", false, "also list, on stderr, every time the version went live or shadow and how")
	rest, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) != 1 {
		return fs.usageError(stderr, "want one policy VERSION (the hex SHA-256 a trace's policy.version shows)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := audit.Open(ctx, databaseURL(*db), audit.Options{ReadOnly: true})
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	defer s.Close()
	pl, ok := s.(audit.PolicyLog)
	if !ok {
		return fs.fail(stderr, 1, "this decision log keeps no policy sources")
	}
	v, err := pl.PolicyVersion(ctx, rest[0])
	if errors.Is(err, audit.ErrNotFound) {
		return fs.fail(stderr, 1, "no policy version %s in the log (sources are kept from schema 2 on: versions live before the upgrade were not stored)", rest[0])
	}
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	if _, err := stdout.Write(v.Source); err != nil {
		return fs.fail(stderr, 1, "write: %v", err)
	}
	if *acts {
		fmt.Fprintf(stderr, "policy %s (%s), version %s, stored %s\n", v.Name, v.File, v.Version, v.Stored.Format("2006-01-02T15:04:05.000000Z07:00"))
		for _, a := range v.Activations {
			key := ""
			if a.KeyID != "" {
				key = " by key " + a.KeyID
			}
			fmt.Fprintf(stderr, "  %s  %s  %s%s\n", a.At.Format("2006-01-02T15:04:05.000000Z07:00"), a.Mode, a.Trigger, key)
		}
	}
	return 0
}
