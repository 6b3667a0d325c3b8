package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWebhooksConfig(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error; none: valid
		never      string   // what the error must never show
	}{
		{"valid", "webhooks:\n  - {url: https://hooks.example.com/verdict, secret: whsec-0123456789abcdef, events: [review.opened, decision.denied]}\n", nil, ""},
		{"not a URL", "webhooks:\n  - {url: 'hooks.example.com', secret: whsec-0123456789abcdef, events: [review.opened]}\n", []string{"webhooks[0].url: is not an absolute http or https URL"}, ""},
		{"other scheme", "webhooks:\n  - {url: 'ftp://h/x', secret: whsec-0123456789abcdef, events: [review.opened]}\n", []string{"webhooks[0].url"}, ""},
		{"credentials in the URL", "webhooks:\n  - {url: 'https://u:p4ssw0rd@h/x', secret: whsec-0123456789abcdef, events: [review.opened]}\n", []string{"must not carry a user"}, "p4ssw0rd"},
		{"short secret", "webhooks:\n  - {url: 'https://h/x?token=t0k3n', secret: sh0rt, events: [review.opened]}\n", []string{"webhooks[0].secret: is shorter than 16"}, "sh0rt"},
		{"no events", "webhooks:\n  - {url: 'https://h/x', secret: whsec-0123456789abcdef}\n", []string{"webhooks[0].events: is empty"}, ""},
		{"unknown event", "webhooks:\n  - {url: 'https://h/x', secret: whsec-0123456789abcdef, events: [decision.allowed]}\n", []string{`"decision.allowed" is not one of`}, ""},
		{"twice", "webhooks:\n  - {url: 'https://h/x?token=t0k3n', secret: whsec-0123456789abcdef, events: [review.opened]}\n  - {url: 'https://h/x?token=t0k3n', secret: whsec-0123456789abcdeg, events: [review.opened]}\n", []string{"webhooks[1].url: is the same as webhooks[0]'s (host h)"}, "t0k3n"},
		{"unknown key", "webhooks:\n  - {url: 'https://h/x', secret: whsec-0123456789abcdef, events: [review.opened], retries: 3}\n", []string{"retries"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "verdict.yaml")
			if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path, env(nil))
			if len(c.want) == 0 {
				if err != nil || len(cfg.Webhooks) != 1 || cfg.Webhooks[0].Secret.Reveal() != "whsec-0123456789abcdef" {
					t.Fatalf("valid config: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if c.never != "" && strings.Contains(err.Error(), c.never) {
				t.Errorf("error shows %q:\n%v", c.never, err)
			}
		})
	}
}
