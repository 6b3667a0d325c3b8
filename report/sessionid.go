package report

import "fmt"

// MaxSessionIDLen is the longest session id verdict accepts.
const MaxSessionIDLen = 128

// ValidateSessionID checks that id is 1..MaxSessionIDLen characters from
// [A-Za-z0-9_-], so that it can never name another upstream path. The error
// wraps ErrInvalidSessionID.
func ValidateSessionID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrInvalidSessionID)
	}
	if len(id) > MaxSessionIDLen {
		return fmt.Errorf("%w: longer than %d characters", ErrInvalidSessionID, MaxSessionIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%w: character %q at position %d is not allowed (use A-Z, a-z, 0-9, _ and -)", ErrInvalidSessionID, c, i+1)
		}
	}
	return nil
}
