package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/config"
)

func init() {
	register(&command{name: "labels", summary: "fraud labels: labels import FILE.csv", run: runLabels})
}

const labelsUsage = `Usage: verdict labels <command> [flags]

Fraud labels in the decision log.

Commands:
  import       add the labels of a CSV file (a chargeback export)

Run 'verdict labels <command> --help' for a command's flags.
`

// runLabels is `verdict labels`.
func runLabels(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, "verdict labels: no command given\n"+labelsUsage)
		return 2
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help":
		if len(args) == 2 && args[0] == "help" && args[1] == "import" {
			return runLabelsImport([]string{"--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, labelsUsage)
		return 0
	case args[0] == "import":
		return runLabelsImport(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "verdict labels: unknown command %q\nRun 'verdict labels --help' for the commands.\n", args[0])
	return 2
}

// labelImportBatch is how many rows one transaction takes.
const labelImportBatch = audit.MaxLabels

// runLabelsImport is `verdict labels import FILE.csv`.
func runLabelsImport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("labels import", "FILE.csv [--database URL]",
		"Adds the fraud labels of a CSV file to the decision log. The header row names the columns:\n"+
			"one of decision_id, session_id, user_id; label (fraud or legitimate; default fraud);\n"+
			"reason (default chargeback); occurred_at (RFC 3339 or a date). Other columns are ignored.\n"+
			"A label that repeats the one in force is not added again, so a file can be imported twice.\n"+
			"Exit status 1 when any row was refused (each is named by its line); the others are kept.")
	db := fs.String("database", "", "the decision log `URL`; empty: $VERDICT_DATABASE_URL, else "+config.DefaultDatabaseURL)
	rest, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) != 1 {
		return fs.usageError(stderr, "give one CSV file")
	}
	f, err := os.Open(rest[0])
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	defer f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := audit.Open(ctx, databaseURL(*db), audit.Options{})
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	defer s.Close()
	lb, ok := s.(audit.Labels)
	if !ok {
		return fs.fail(stderr, 1, "this decision log keeps no labels")
	}
	var created, dups, refused int
	var batch []audit.LabelCSVRow
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		labels := make([]audit.Label, len(batch))
		for i, r := range batch {
			labels[i] = r.Label
		}
		res, err := lb.AddLabels(ctx, labels)
		if err != nil {
			return err
		}
		for i, r := range res {
			switch {
			case r.Err != nil:
				refused++
				fmt.Fprintf(stderr, "%s:%d: %v\n", rest[0], batch[i].Line, r.Err)
			case r.Duplicate:
				dups++
			default:
				created++
			}
		}
		batch = batch[:0]
		return nil
	}
	err = audit.LabelCSV(f, "import", func(row audit.LabelCSVRow) error {
		if row.Err != nil {
			refused++
			fmt.Fprintf(stderr, "%s:%d: %v\n", rest[0], row.Line, row.Err)
			return nil
		}
		batch = append(batch, row)
		if len(batch) == labelImportBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	fmt.Fprintf(stdout, "%d labels added, %d already in force, %d refused\n", created, dups, refused)
	if err != nil {
		return fs.fail(stderr, 1, "%s: %v", rest[0], err)
	}
	if refused > 0 {
		return 1
	}
	return 0
}
