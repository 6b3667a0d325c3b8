package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/config"
)

// allowNoLog lets VERDICT_DATABASE_URL=off run without a decision log. Only
// the benchmark build (go build -tags benchnolog) sets it, so bench/run.sh
// can measure the log's cost; a production binary always has a log.
var allowNoLog = false

// openLogTimeout bounds opening the decision log (connecting, migrating).
const openLogTimeout = 30 * time.Second

// openLog opens the decision log the configuration names and runs its
// migrations. verdict never serves without one: every answered decision has
// a trace.
func openLog(cfg *config.Config, log zerolog.Logger) (audit.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), openLogTimeout)
	defer cancel()
	dbURL := cfg.Database.URL.Reveal()
	if allowNoLog && dbURL == "off" {
		log.Warn().Msg("BENCHMARK BUILD: no decision log (VERDICT_DATABASE_URL=off): decisions are answered without a trace")
		return nil, nil
	}
	key, err := checkpointKey(cfg.Database.CheckpointKey.Reveal())
	if err != nil {
		return nil, fmt.Errorf("database.checkpoint_key: %w", err)
	}
	mask, err := audit.NewMask(cfg.Database.MaskFields, []byte(cfg.Database.MaskKey.Reveal()))
	if err != nil {
		return nil, fmt.Errorf("database.mask_fields: %w", err)
	}
	store, err := audit.Open(ctx, dbURL, audit.Options{CheckpointKey: key, Mask: mask})
	if err != nil {
		return nil, fmt.Errorf("decision log %s: %w", displayURL(dbURL), err)
	}
	if key != nil {
		log.Info().Str("public_key", hex.EncodeToString(key.Public().(ed25519.PublicKey))).
			Msg("decision log checkpoints are signed; auditors verify exported checkpoints with this public key")
	} else {
		log.Warn().Msg("decision log checkpoints are not signed (no VERDICT_CHECKPOINT_KEY): the hash chain shows edits, but an auditor cannot check its head without trusting the database")
	}
	if !mask.Empty() {
		log.Info().Strs("mask_fields", mask.Fields()).Msg("trace fields are masked before they are stored")
	}
	ev := log.Info()
	if cfg.MonitorOnly {
		ev = log.Warn()
	}
	ev.Str("database", displayURL(dbURL)).Str("backend", audit.Scheme(dbURL)).
		Int("retention_days", cfg.Database.RetentionDays).Bool("monitor_only", cfg.MonitorOnly).
		Msg("decision log open")
	if cfg.MonitorOnly {
		log.Warn().Msg("MONITOR ONLY: every decision answers allow; the decision log records what the policies would have decided (VERDICT_MONITOR_ONLY)")
	}
	return store, nil
}

// displayURL is a database URL fit for logs and errors: a PostgreSQL URL
// loses its password and query; a file path is shown as is.
func displayURL(raw string) string {
	if audit.Scheme(raw) != "postgres" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://[unparsable URL]"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery = ""
	return u.String()
}
