package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/config"
)

func init() {
	register(&command{name: "rules", summary: "rule performance against fraud labels: rules performance", run: runRules})
}

const rulesUsage = `Usage: verdict rules <command> [flags]

Rules against the decision log.

Commands:
  performance  each rule's fires, precision and recall against the fraud labels

Run 'verdict rules <command> --help' for a command's flags.
`

// runRules is `verdict rules`.
func runRules(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, "verdict rules: no command given\n"+rulesUsage)
		return 2
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help":
		if len(args) == 2 && args[0] == "help" && args[1] == "performance" {
			return runRulesPerformance([]string{"--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, rulesUsage)
		return 0
	case args[0] == "performance":
		return runRulesPerformance(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "verdict rules: unknown command %q\nRun 'verdict rules --help' for the commands.\n", args[0])
	return 2
}

// runRulesPerformance is `verdict rules performance`.
func runRulesPerformance(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("rules performance", "[--since TIME] [--until TIME] [--policy NAME] [--format text|json] [--database URL]",
		"Prints each rule's fires against the fraud labels: fires on labelled-fraud and labelled-legitimate\n"+
			"decisions, precision (fraud over labelled fires), recall (over the policy's labelled fraud), the same\n"+
			"where it fired alone, and each policy's outcome × label matrix. One pass over the log, read-only.")
	since := fs.String("since", "30d", "the first decision `TIME`: RFC 3339, a date, or back from now (24h, 7d)")
	until := fs.String("until", "", "the last decision `TIME`, exclusive, same forms; empty: now")
	policy := fs.String("policy", "", "one live policy's `NAME`; empty: all")
	format := fs.String("format", "text", "the output, `text|json` (text: tables)")
	db := fs.String("database", "", "the decision log `URL`; empty: $VERDICT_DATABASE_URL, else "+config.DefaultDatabaseURL)
	if code, ok := fs.parseNoArgs(args, stdout, stderr); !ok {
		return code
	}
	if *format != "text" && *format != "json" {
		return fs.usageError(stderr, "--format %q: want text or json", *format)
	}
	now := time.Now()
	f := audit.PerfFilter{Policy: *policy}
	var err error
	if f.Since, err = audit.ParseTime(*since, now); err != nil {
		return fs.usageError(stderr, "--since: %v", err)
	}
	if *until != "" {
		if f.Until, err = audit.ParseTime(*until, now); err != nil {
			return fs.usageError(stderr, "--until: %v", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := audit.Open(ctx, databaseURL(*db), audit.Options{ReadOnly: true})
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	defer s.Close()
	pr, ok := s.(audit.PerformanceReader)
	if !ok {
		return fs.fail(stderr, 1, "this decision log cannot report rule performance")
	}
	p, err := pr.RulePerformance(ctx, f)
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			return fs.fail(stderr, 1, "%v", err)
		}
		return 0
	}
	writePerformance(stdout, p)
	return 0
}

// writePerformance prints the report as tables.
func writePerformance(w io.Writer, p *audit.Performance) {
	fmt.Fprintf(w, "%d decisions, %d labels\n\n", p.Decisions, p.Labels)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "POLICY\tRULE\tFIRES\tFRAUD\tLEGIT\tPRECISION\tRECALL\tALONE\tALONE FRAUD\tALONE LEGIT\tALONE PRECISION\tALONE RECALL\tFRAUD CREDIT")
	for _, r := range p.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%.1f\n", r.Policy, r.RuleID, r.Fires, r.FiresFraud, r.FiresLegitimate,
			pct(r.Precision), pct(r.Recall), r.SoleFires, r.SoleFiresFraud, r.SoleFiresLegitimate, pct(r.SolePrecision), pct(r.SoleRecall), r.FraudCredit)
	}
	tw.Flush()
	for _, pp := range p.Policies {
		fmt.Fprintf(w, "\n%s: %d decisions, %d labelled fraud, %d labelled legitimate\n", pp.Policy, pp.Decisions, pp.LabelledFraud, pp.LabelledLegitimate)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  OUTCOME\tFRAUD\tLEGITIMATE\tUNLABELLED")
		for _, o := range []engine.Outcome{engine.Allow, engine.Review, engine.Deny} {
			c := pp.Matrix[o]
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\n", o, c.Fraud, c.Legitimate, c.Unlabelled)
		}
		tw.Flush()
	}
}

// pct writes a ratio as a percentage, "-" when undefined.
func pct(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
}
