package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/api"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/fetcher"
	"github.com/verdicthq/verdict/fetcher/roundtabletest"
	"github.com/verdicthq/verdict/internal/config"
	"github.com/verdicthq/verdict/internal/counters"
	"github.com/verdicthq/verdict/internal/memory"
	"github.com/verdicthq/verdict/internal/reload"
)

// app is a wired `verdict serve`: every part built from the configuration,
// not yet listening.
type app struct {
	cfg      *config.Config
	log      zerolog.Logger
	sim      *roundtabletest.Server // the demo's Roundtable; nil with a real one
	client   *fetcher.Client
	reloader *reload.Reloader
	server   *api.Server
	store    audit.Store // the decision log
	memory   *memory.Memory
}

// setTimeFormat sets zerolog's time format, which is process-wide, once:
// written again while another logger logs (two servers in one test process)
// it would be a data race.
var setTimeFormat sync.Once

// newLogger builds the service logger: JSON lines, or a console writer for a
// terminal (tty says whether the final output is one).
func newLogger(c config.LogConfig, w io.Writer, tty bool) zerolog.Logger {
	level, err := zerolog.ParseLevel(c.Level)
	if err != nil {
		level = zerolog.InfoLevel
	}
	setTimeFormat.Do(func() { zerolog.TimeFieldFormat = time.RFC3339Nano })
	if c.Format == "console" || c.Format == "auto" && tty {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000"}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Str("service", "verdict").Logger()
}

// newApp wires the parts: metrics, the Roundtable client (and the demo
// simulator), the first policy load, and the API. A policy set that does not
// load at start is fatal: verdict never serves without one.
func newApp(cfg *config.Config, log zerolog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log}
	metrics := api.NewMetrics()

	base, key := cfg.Roundtable.BaseURL, cfg.Roundtable.APIKey.Reveal()
	if cfg.DemoRoundtable() {
		key = "sk-demo-" + randomHex(12)
		sim, err := roundtabletest.Start(roundtabletest.Options{ReportsDir: cfg.Demo.ReportsDir, APIKey: key, Addr: "127.0.0.1:0"})
		if err != nil {
			return nil, fmt.Errorf("demo: start the Roundtable simulator over %s: %w", cfg.Demo.ReportsDir, err)
		}
		a.sim, base = sim, sim.URL()
		log.Warn().Str("simulator_url", base).Str("reports_dir", cfg.Demo.ReportsDir).
			Msg("DEMO MODE: no ROUNDTABLE_API_KEY is set, so reports come from the built-in Roundtable simulator, not from Roundtable. Set ROUNDTABLE_API_KEY (and ROUNDTABLE_BASE_URL) for real decisions.")
	}
	br := cfg.Roundtable.Breaker // validated: each in range
	client, err := fetcher.New(fetcher.Config{
		BaseURL: base, APIKey: key,
		Timeout: cfg.Roundtable.Timeout, CacheTTL: cfg.Roundtable.CacheTTL, CacheSize: cfg.Roundtable.CacheSize,
		BreakerFailures: uint32(br.Failures), BreakerRatio: br.Ratio, BreakerWindow: br.Window,
		BreakerCooldown: br.Cooldown, BreakerProbes: uint32(br.Probes),
		Observer: metrics, Logger: log.With().Str("component", "fetcher").Logger(),
	})
	if err != nil {
		a.close()
		return nil, fmt.Errorf("roundtable client: %w", err)
	}
	a.client = client
	log.Info().Str("component", "fetcher").Int("failures", br.Failures).Float64("ratio", br.Ratio).Dur("window", br.Window).
		Dur("cooldown", br.Cooldown).Int("probes", br.Probes).Msg("Roundtable circuit breaker (roundtable.breaker)")

	store, err := openLog(cfg, log)
	if err != nil {
		a.close()
		return nil, err
	}
	a.store = store

	live := &engine.Live{}
	record := policyRecorder(store, log)
	mem, err := openMemory(store, counters.Config{Budget: cfg.Counters.BudgetBytes, MaxEventsPerKey: cfg.Counters.MaxEventsPerKey}, log)
	if err != nil {
		a.close()
		return nil, err
	}
	a.memory = mem
	var previous *engine.Set // the set before the live one: its counters stay while decisions finish on it
	limits := policyLimits(cfg.PolicyLimits, cfg.Counters)
	a.reloader = reload.New(reload.Options{
		Dir: cfg.RulesDir, Live: live, Logger: log,
		Load: func(dir string) (*engine.Set, error) { return reload.LoadDirWith(dir, limits) },
		Prepare: func(ctx context.Context, set *engine.Set) error {
			return prepareMemory(ctx, mem, store, cfg.RulesDir, set, log)
		},
		OnReload: func(ev reload.Event) {
			metrics.ObserveReload(ev.Trigger, ev.Set, ev.Err)
			if ev.Set != nil {
				mem.Counters.Retain(ev.Set, previous)
				previous = ev.Set
			}
			record(ev)
		},
		OnWatch: func(st reload.WatchStatus) { metrics.SetPolicyWatch(st.Watching) },
	})
	if _, err := a.reloader.Reload(context.Background(), reload.TriggerStart); err != nil {
		a.close()
		return nil, err
	}

	srv, err := api.New(api.Options{
		Live: live, Fetcher: client, Keys: cfg.Keys(), Logger: log, Metrics: metrics, Reloader: a.reloader,
		Notes: []api.ReadinessNote{{Name: "policy_watch", Status: a.watchStatus}},
		Log:   store, MonitorOnly: cfg.MonitorOnly,
		Memory: mem, Lists: listService(store, mem, live),
		BodyLimit: cfg.HTTP.BodyLimit, RequestTimeout: cfg.HTTP.RequestTimeout,
		TrustForwardedProto: cfg.HTTP.TrustForwardedProto,
		PolicyLimits:        limits,
		ContextLimits:       api.ContextLimits{MaxDepth: cfg.HTTP.ContextMaxDepth, MaxKeys: cfg.HTTP.ContextMaxKeys, MaxString: cfg.HTTP.ContextMaxString},
	})
	if err != nil {
		a.close()
		return nil, err
	}
	a.server = srv
	return a, nil
}

// run listens and serves until ctx ends, then shuts down gracefully: /readyz
// turns 503, the listener closes, requests in flight finish (up to
// http.shutdown_timeout), and the parts are closed. SIGHUP on hup reloads
// the policies. ready, when not nil, gets the bound address.
func (a *app) run(ctx context.Context, hup <-chan os.Signal, ready func(addr string)) error {
	defer a.close()
	ln, err := net.Listen("tcp", a.cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.ListenAddr, err)
	}
	ln = api.JSONErrors(ln) // net/http's own 400s (a bad escape in the URL) as JSON errors too
	addr := ln.Addr().String()
	hs := &http.Server{
		Handler:           a.server.Handler(),
		ReadHeaderTimeout: a.cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       a.cfg.HTTP.ReadHeaderTimeout + a.cfg.HTTP.RequestTimeout,
		WriteTimeout:      a.cfg.HTTP.RequestTimeout + time.Second,
		IdleTimeout:       a.cfg.HTTP.IdleTimeout,
		ErrorLog:          stdlog.New(a.log.With().Str("component", "http").Logger(), "", 0),
	}
	a.announce(addr)
	if ready != nil {
		ready(addr)
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	var background sync.WaitGroup
	defer func() { stopWatch(); background.Wait() }()
	if a.cfg.Reload.Watch {
		background.Add(1)
		go func() {
			defer background.Done()
			_ = a.reloader.Watch(watchCtx, a.cfg.Reload.Debounce) // says itself when watching is off
		}()
	} else {
		a.log.Info().Str("rules_dir", a.cfg.RulesDir).Msg("policy file watching is off (reload.watch is false): SIGHUP and POST /v1/policies/reload reload")
	}
	background.Add(1)
	go func() {
		defer background.Done()
		for {
			select {
			case <-watchCtx.Done():
				return
			case <-hup:
				_, _ = a.reloader.Reload(watchCtx, reload.TriggerSIGHUP)
			}
		}
	}()

	retention := &audit.Retention{
		Store: a.store, Keep: time.Duration(a.cfg.Database.RetentionDays) * 24 * time.Hour, Every: a.cfg.Database.RetentionEvery,
		Report: func(pruned int64, before time.Time, err error) {
			if err != nil {
				a.log.Error().Err(err).Msg("decision log retention failed; will retry")
				return
			}
			a.log.Info().Int64("pruned", pruned).Time("before", before).Msg("decision log retention")
		},
		ReportOutbox: func(pruned int64, before time.Time, err error) {
			if err != nil {
				a.log.Error().Err(err).Msg("webhook outbox retention failed; will retry")
				return
			}
			a.log.Info().Int64("pruned_events", pruned).Time("before", before).Msg("webhook outbox retention")
		},
	}
	if a.store != nil {
		background.Add(2)
		go func() { defer background.Done(); retention.Run(watchCtx) }()
		key, _ := checkpointKey(a.cfg.Database.CheckpointKey.Reveal()) // checked by openLog
		go func() {
			defer background.Done()
			runCheckpoints(watchCtx, a.store, key, a.cfg.Database.CheckpointEvery, a.log)
		}()
		a.runMemory(watchCtx, &background)
	}
	if d := a.webhooks(); d != nil { // webhooks.go: the outbox's deliveries, off the decisions' path
		background.Add(1)
		go func() { defer background.Done(); d.Run(watchCtx) }()
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.server.SetDraining()
	if d := a.cfg.HTTP.ShutdownDelay; d > 0 {
		a.log.Info().Dur("delay", d).Msg("shutting down: /readyz answers 503; still serving while load balancers catch up")
		time.Sleep(d)
	}
	a.log.Info().Dur("timeout", a.cfg.HTTP.ShutdownTimeout).Msg("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	// Every request has finished: stop watching, SIGHUP and retention, then
	// close the log, which commits the appends still pending, before the
	// process exits.
	stopWatch()
	background.Wait()
	a.log.Info().Msg("shutting down: closing the decision log")
	if store := a.store; store != nil {
		a.store = nil
		if err := store.Close(); err != nil {
			return fmt.Errorf("close the decision log: %w", err)
		}
	}
	return nil
}

// announce logs where verdict listens and, in the demo, how to call it.
func (a *app) announce(addr string) {
	a.log.Info().Str("addr", addr).Str("rules_dir", a.cfg.RulesDir).Str("console", "http://"+addr+"/console/").Msg("verdict serve listening")
	if a.cfg.DemoKeyInUse() {
		a.log.Warn().Str("api_key", "demo-key").
			Str("try", fmt.Sprintf(`curl -s -H 'Authorization: Bearer demo-key' -H 'Content-Type: application/json' -d '{"session_id":"demo-deny"}' http://%s/v1/decisions`, addr)).
			Msg("DEMO KEY: no VERDICT_API_KEYS is set, so the public key \"demo-key\" (all scopes) is accepted, on loopback only. Set VERDICT_API_KEYS before serving anyone else.")
	}
}

// close releases the decision log, the Roundtable client and the simulator.
func (a *app) close() {
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Error().Err(err).Msg("close the decision log")
		}
		a.store = nil
	}
	if a.client != nil {
		a.client.Close()
		a.client = nil
	}
	if a.sim != nil {
		_ = a.sim.Close()
		a.sim = nil
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// watchStatus is the policy_watch line of /readyz: "ok" while changes in the
// rules folder are picked up, else why not (reloads by SIGHUP and the API
// still work).
func (a *app) watchStatus() string {
	if !a.cfg.Reload.Watch {
		return "off: reload.watch is false; SIGHUP and POST /v1/policies/reload reload"
	}
	st := a.reloader.WatchStatus()
	if st.Watching {
		return "ok"
	}
	return "off: " + st.Detail + "; SIGHUP and POST /v1/policies/reload still reload"
}

// policyLimits is the configuration's policy_limits and counters as the
// engine's Limits (zero fields keep the engine's defaults).
func policyLimits(c config.PolicyLimitsConfig, cc config.CountersConfig) engine.Limits {
	return engine.Limits{Cost: c.Cost, Memory: c.MemoryBytes, FileBytes: c.FileBytes, ExprChars: c.ExprChars,
		Nesting: c.Nesting, Variables: c.Variables, Rules: c.Rules,
		CounterBytes: cc.BudgetBytes, CounterEventsPerKey: cc.MaxEventsPerKey}.WithDefaults()
}
