package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/verdicthq/verdict/fetcher/roundtabletest"
)

func init() {
	register(&command{
		name:    "sim",
		summary: "run the Roundtable simulator over a folder of report files",
		run: func(args []string, stdout, stderr io.Writer) int {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runSim(ctx, args, stdout, stderr)
		},
	})
}

const simAbout = `Serves Roundtable's session report API (GET /v1/sessions/{id}/report and
/v1/sessions/report?sessionId=) from the top-level *.json files of DIR, each
under the session_id inside it. For demos, local runs and load tests; point
verdict at it with ROUNDTABLE_BASE_URL. Stops on Ctrl-C or SIGTERM.`

// runSim runs the simulator until ctx ends; it returns the exit code.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sim", "[--reports DIR] [--addr HOST:PORT] [--api-key KEY] [--latency DURATION] [-v]", simAbout)
	reports := fs.String("reports", "testdata/reports", "the folder of report JSON files, `DIR`")
	addr := fs.String("addr", "127.0.0.1:8090", "the listen address, `HOST:PORT` (port 0 picks a free one)")
	apiKey := fs.String("api-key", "", "the bearer `KEY` to require; empty: accept any request")
	latency := fs.Duration("latency", 0, "latency added to every report request, e.g. 50ms")
	verbose := fs.Bool("verbose", false, "log every request")
	fs.alias("v", "verbose")
	if code, ok := fs.parseNoArgs(args, stdout, stderr); !ok {
		return code
	}
	if *latency < 0 {
		return fs.usageError(stderr, "--latency must not be negative")
	}

	level := zerolog.InfoLevel
	if *verbose {
		level = zerolog.DebugLevel
	}
	logger := zerolog.New(stderr).Level(level).With().Timestamp().Str("component", "roundtable-sim").Logger()
	srv, err := roundtabletest.Start(roundtabletest.Options{
		ReportsDir: *reports, APIKey: *apiKey, Addr: *addr, Latency: *latency, Logger: logger,
	})
	if err != nil {
		fmt.Fprintf(stderr, "verdict sim: %v\n", err)
		return 1
	}
	if host, _, err := net.SplitHostPort(srv.Addr()); err == nil {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			logger.Warn().Str("addr", srv.Addr()).Msg("the simulator is a test tool; it listens beyond loopback")
		}
	}
	auth := "any bearer key accepted"
	if *apiKey != "" {
		auth = "bearer key required"
	}
	fmt.Fprintf(stdout, "roundtable simulator: %d sessions from %s at %s (%s, latency %s)\n",
		len(srv.SessionIDs()), *reports, srv.URL(), auth, *latency)

	<-ctx.Done()
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			fmt.Fprintf(stderr, "verdict sim: stop: %v\n", err)
			return 1
		}
	case <-time.After(5 * time.Second):
		fmt.Fprintln(stderr, "verdict sim: stop: timed out")
		return 1
	}
	return 0
}
