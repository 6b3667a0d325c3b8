package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"time"

	"github.com/rs/zerolog"
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/reload"
)

// recordTimeout bounds storing one reload's policy sources.
const recordTimeout = 10 * time.Second

// policyRecorder keeps, in the decision log, the source of every policy
// version a reload put live or shadow, with the trigger and the key id: the
// reloader's OnReload hook.
func policyRecorder(store audit.Store, log zerolog.Logger) func(reload.Event) {
	pl, ok := store.(audit.PolicyLog)
	if !ok {
		return func(reload.Event) {}
	}
	return func(ev reload.Event) {
		if ev.Err != nil || ev.Set == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
		defer cancel()
		now := time.Now()
		for _, info := range ev.Set.Policies() {
			p := ev.Set.Policy(info.Name)
			if p == nil {
				continue
			}
			v := audit.PolicyVersion{Version: info.Version, Name: info.Name, File: info.File, Source: p.Source()}
			a := audit.Activation{At: now, Mode: info.Mode, Trigger: ev.Trigger, KeyID: ev.KeyID}
			if err := pl.RecordPolicy(ctx, v, a); err != nil {
				log.Error().Err(err).Str("policy_name", info.Name).Str("policy_version", info.Version).
					Msg("could not keep the policy's source in the decision log; it still serves")
			}
		}
	}
}

// checkpointKey is the configured checkpoint signing key, or nil.
func checkpointKey(raw string) (ed25519.PrivateKey, error) {
	if raw == "" {
		return nil, nil
	}
	return audit.ParsePrivateKey(raw)
}

// runCheckpoints signs and stores the chain heads every `every` until ctx
// ends, logging each round.
func runCheckpoints(ctx context.Context, store audit.Store, key ed25519.PrivateKey, every time.Duration, log zerolog.Logger) {
	l, ok := store.(audit.CheckpointLog)
	if !ok || every <= 0 {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cps, err := audit.WriteCheckpoint(ctx, l, key, "periodic", time.Now())
		if err != nil {
			if ctx.Err() == nil {
				log.Error().Err(err).Msg("decision log checkpoint failed; will retry")
			}
			continue
		}
		ev := log.Info().Int("chains", len(cps)).Bool("signed", key != nil)
		if key != nil {
			ev = ev.Str("public_key", hex.EncodeToString(key.Public().(ed25519.PublicKey)))
		}
		ev.Msg("decision log checkpoint")
	}
}
