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
	"github.com/verdicthq/verdict/internal/config"
)

const checkpointUsage = `Usage: verdict audit checkpoint <write|export|verify> [flags]

  write    sign every chain's head now with $VERDICT_CHECKPOINT_KEY and store it in the log
  export   write the log's checkpoints as JSON Lines to stdout: the file an auditor keeps
  verify   check an exported file's signatures offline: verify FILE --public-key HEX
`

// runAuditCheckpoint is `verdict audit checkpoint`.
func runAuditCheckpoint(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "verdict audit checkpoint: no command given\n"+checkpointUsage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, checkpointUsage)
		return 0
	case "write":
		return runCheckpointWrite(args[1:], stdout, stderr)
	case "export":
		return runCheckpointExport(args[1:], stdout, stderr)
	case "verify":
		return runCheckpointVerify(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "verdict audit checkpoint: unknown command %q\n%s", args[0], checkpointUsage)
	return 2
}

func openCheckpointLog(ctx context.Context, fs *cmdFlags, url string, readOnly bool, stderr io.Writer) (audit.Store, audit.CheckpointLog, int) {
	s, err := audit.Open(ctx, databaseURL(url), audit.Options{ReadOnly: readOnly})
	if err != nil {
		return nil, nil, fs.fail(stderr, 1, "%v", err)
	}
	l, ok := s.(audit.CheckpointLog)
	if !ok {
		s.Close()
		return nil, nil, fs.fail(stderr, 1, "this decision log keeps no hash chain")
	}
	return s, l, 0
}

func runCheckpointWrite(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("audit checkpoint write", "[--database URL]",
		"Signs every chain's head now with the key in $VERDICT_CHECKPOINT_KEY (hex Ed25519 seed) and stores the\n"+
			"checkpoints in the log. verdict serve does the same every database.checkpoint_every.")
	db := fs.String("database", "", "the decision log `URL`; empty: $VERDICT_DATABASE_URL, else "+config.DefaultDatabaseURL)
	if code, ok := fs.parseNoArgs(args, stdout, stderr); !ok {
		return code
	}
	raw := os.Getenv("VERDICT_CHECKPOINT_KEY")
	if raw == "" {
		return fs.usageError(stderr, "VERDICT_CHECKPOINT_KEY is not set: a checkpoint an auditor can trust must be signed")
	}
	key, err := audit.ParsePrivateKey(raw)
	if err != nil {
		return fs.usageError(stderr, "VERDICT_CHECKPOINT_KEY: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, l, code := openCheckpointLog(ctx, fs, *db, false, stderr)
	if s == nil {
		return code
	}
	defer s.Close()
	cps, err := audit.WriteCheckpoint(ctx, l, key, "manual", time.Now())
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	for _, c := range cps {
		fmt.Fprintf(stdout, "chain %q seq %d hash %s signed\n", c.Chain, c.Seq, c.Hash)
	}
	return 0
}

func runCheckpointExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("audit checkpoint export", "[--database URL] > checkpoints.jsonl",
		"Writes the log's checkpoints (signed chain heads, and retention's sums of removed traces) as JSON Lines.")
	db := fs.String("database", "", "the decision log `URL`; empty: $VERDICT_DATABASE_URL, else "+config.DefaultDatabaseURL)
	if code, ok := fs.parseNoArgs(args, stdout, stderr); !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, l, code := openCheckpointLog(ctx, fs, *db, true, stderr)
	if s == nil {
		return code
	}
	defer s.Close()
	cps, err := l.Checkpoints(ctx)
	if err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	if err := audit.WriteCheckpoints(stdout, cps); err != nil {
		return fs.fail(stderr, 1, "%v", err)
	}
	fmt.Fprintf(stderr, "verdict audit checkpoint export: %d checkpoints\n", len(cps))
	return 0
}

func runCheckpointVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("audit checkpoint verify", "FILE --public-key HEX",
		"Checks, offline and without the database, that every checkpoint in an exported file is signed by the key\n"+
			"whose public half is given. Then 'verdict audit verify --checkpoints FILE' ties the log to them.")
	pubKey := fs.String("public-key", "", "the signing key's public half (`HEX`, as verdict serve logs it at start)")
	rest, code, ok := fs.parse(args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) != 1 || *pubKey == "" {
		return fs.usageError(stderr, "want one FILE and --public-key")
	}
	cps, code := readSignedCheckpoints(fs, rest[0], *pubKey, stderr)
	if cps == nil {
		return code
	}
	fmt.Fprintf(stdout, "ok: %d checkpoints, every signature verifies; the last: chain %q seq %d at %s\n",
		len(cps), cps[len(cps)-1].Chain, cps[len(cps)-1].Seq, cps[len(cps)-1].At.Format(time.RFC3339))
	return 0
}
