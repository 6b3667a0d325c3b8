package config

// Secret is a string that never prints: fmt, zerolog, encoding/json and
// yaml all see "[redacted]". Use Reveal to get the value for the one place that
// needs it (an Authorization header, a constant-time compare).
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]" (or "" for an empty secret), never the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return s.String() }

// MarshalText makes JSON and YAML encoders print "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the value as is (MarshalText's opposite is not needed:
// a config file holds the real value).
func (s *Secret) UnmarshalText(b []byte) error {
	*s = Secret(b)
	return nil
}
