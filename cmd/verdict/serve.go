package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/api"
	"github.com/verdicthq/verdict/internal/config"
)

// defaultGCPercent is the GC target verdict serve runs with unless the GOGC
// environment variable is set.
const defaultGCPercent = 200

func init() {
	register(&command{name: "serve", summary: "run the decision API (a loopback demo with no configuration)", run: runServe})
}

// runServe is `verdict serve [--config FILE]`: load the configuration, start
// the API, reload policies on SIGHUP, and shut down gracefully on SIGTERM or
// SIGINT (requests in flight finish, then exit 0).
func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "[--config FILE]",
		"Runs the decision API. With no configuration it is a demo on 127.0.0.1:8080: the\n"+
			"rules/ folder, the built-in Roundtable simulator over testdata/reports, and the\n"+
			"public demo key \"demo-key\".")
	fs.footer = "Environment (overrides the file): " + strings.Join(config.EnvVars, ", ")
	configPath := fs.String("config", "", "the YAML configuration `FILE` (see docs/operations.md); environment variables override it")
	if code, ok := fs.parseNoArgs(args, stdout, stderr); !ok {
		return code
	}
	cfg, err := config.Load(*configPath, os.Getenv)
	if err == nil {
		err = api.CheckKeys(cfg.Keys()) // which scopes exist is the API's business
	}
	if err != nil {
		return configError(stderr, os.Getenv, err)
	}
	if os.Getenv("GOGC") == "" {
		// verdict's live heap is small (tens of MB) and every decision
		// allocates a few KB: collecting at 200% growth instead of 100% trades
		// a few MB for less GC CPU per decision (docs/bench-api.md).
		debug.SetGCPercent(defaultGCPercent)
	}
	// Decision ids are UUIDv7s: draw their random bits from a pooled buffer
	// instead of one crypto/rand read each. Set once, before any id is made.
	uuid.EnableRandPool()
	lw := newLogWriter(stderr, 100*time.Millisecond) // batched writes; warnings flush at once
	defer lw.Close()
	log := newLogger(cfg.Log, lw, isTerminal(stderr))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	a, err := newApp(cfg, log)
	if err != nil {
		log.Error().Err(err).Msg("verdict serve could not start")
		return 1
	}
	if err := a.run(ctx, hup, nil); err != nil {
		log.Error().Err(err).Msg("verdict serve stopped with an error")
		return 1
	}
	log.Info().Msg("verdict serve stopped")
	return 0
}

// configError reports a configuration that does not load and returns 2: as
// one JSON log line when VERDICT_LOG_FORMAT=json (a log pipeline reads
// stderr), else as text. Each problem is an entry of "errors".
func configError(stderr io.Writer, getenv func(string) string, err error) int {
	if strings.TrimSpace(getenv("VERDICT_LOG_FORMAT")) != "json" {
		fmt.Fprintf(stderr, "verdict serve: %v\n", err)
		return 2
	}
	var problems []string
	var list interface{ Unwrap() []error }
	if errors.As(err, &list) {
		for _, e := range list.Unwrap() {
			problems = append(problems, e.Error())
		}
	} else {
		problems = []string{err.Error()}
	}
	log := zerolog.New(stderr).With().Timestamp().Str("service", "verdict").Logger()
	log.Error().Strs("errors", problems).Msg("verdict serve: invalid configuration")
	return 2
}
