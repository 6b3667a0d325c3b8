package config

import (
	"fmt"
	"net/url"
	"strings"
)

// WebhookConfig is one webhook receiver (docs/webhooks.md).
type WebhookConfig struct {
	// URL receives the events by POST: http or https, absolute.
	URL string `yaml:"url"`
	// Secret signs every request (Verdict-Signature); at least
	// MinSecretLen characters. Never logged.
	Secret Secret `yaml:"secret"`
	// Events are the event types it receives: review.opened,
	// review.resolved, decision.denied.
	Events []string `yaml:"events"`
}

// WebhookEvents lists the event types a webhook may take.
var WebhookEvents = []string{"review.opened", "review.resolved", "decision.denied"}

// validateWebhooks checks the webhooks section; an error names the entry
// by position and host, never its secret or its URL's query (which may
// carry a token).
func validateWebhooks(ws []WebhookConfig, bad func(field, format string, a ...any)) {
	seen := map[string]int{}
	for i, w := range ws {
		field := fmt.Sprintf("webhooks[%d]", i)
		u, err := url.Parse(strings.TrimSpace(w.URL))
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			bad(field+".url", "is not an absolute http or https URL")
		case u.User != nil:
			bad(field+".url", "must not carry a user or password")
		default:
			if j, dup := seen[w.URL]; dup {
				bad(field+".url", "is the same as webhooks[%d]'s (host %s)", j, u.Host)
			}
			seen[w.URL] = i
		}
		if len(w.Secret.Reveal()) < MinSecretLen {
			bad(field+".secret", "is shorter than %d characters", MinSecretLen)
		}
		if len(w.Events) == 0 {
			bad(field+".events", "is empty: list one or more of %s", strings.Join(WebhookEvents, ", "))
		}
		for _, e := range w.Events {
			known := false
			for _, k := range WebhookEvents {
				known = known || e == k
			}
			if !known {
				bad(field+".events", "%q is not one of %s", e, strings.Join(WebhookEvents, ", "))
			}
		}
	}
}
