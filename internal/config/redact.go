package config

import (
	"net/url"
	"strings"
)

// RedactURL returns a URL fit for an error or a log line: the password of
// its user info replaced by "xxxxx" (url.URL.Redacted), and the values of
// query parameters that can hold a secret (password, token, key, ...)
// likewise. A plain file path is returned as is; a URL that does not parse
// is shown by its scheme alone, since what in it is a secret cannot be told.
func RedactURL(raw string) string {
	if !strings.Contains(raw, "://") && !strings.Contains(raw, "@") && !strings.HasPrefix(raw, "file:") {
		return raw // a file path: no user info, no query to hide
	}
	u, err := url.Parse(raw)
	if err != nil {
		scheme, _, ok := strings.Cut(raw, "://")
		if !ok || strings.ContainsAny(scheme, "@:/") {
			return "[unparsable URL]"
		}
		return scheme + "://[unparsable URL]"
	}
	if strings.Contains(u.Opaque, "@") { // "user:secret@host" read as scheme "user"
		return "[unparsable URL]"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if secretParam(k) {
				q[k] = []string{"xxxxx"}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// secretParam reports whether a query parameter's name says it may hold a
// secret.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"pass", "pwd", "secret", "token", "key", "auth", "credential", "signature", "sig"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
