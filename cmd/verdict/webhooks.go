package main

import (
	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/webhook"
)

// webhooks builds the webhook deliverer of the configured endpoints, or nil
// when none is configured (or the log keeps no outbox).
func (a *app) webhooks() *webhook.Deliverer {
	if len(a.cfg.Webhooks) == 0 || a.store == nil {
		return nil
	}
	ob, ok := a.store.(audit.Outbox)
	if !ok {
		a.log.Error().Msg("webhooks are configured but this decision log keeps no outbox: none will be sent")
		return nil
	}
	eps := make([]webhook.Endpoint, len(a.cfg.Webhooks))
	for i, w := range a.cfg.Webhooks {
		eps[i] = webhook.Endpoint{URL: w.URL, Secret: w.Secret.Reveal(), Events: w.Events}
		a.log.Info().Str("endpoint", eps[i].ID()).Strs("events", w.Events).Msg("webhook endpoint")
	}
	d, err := webhook.New(webhook.Options{Store: ob, Endpoints: eps, Log: a.log.With().Str("component", "webhooks").Logger()})
	if err != nil {
		a.log.Error().Err(err).Msg("webhooks: none will be sent")
		return nil
	}
	return d
}
