package audit

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// Query page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Filter selects traces for Query. Empty fields match everything.
type Filter struct {
	SessionID     string
	UserID        string
	Outcome       engine.Outcome // the outcome answered
	Rule          string         // a rule id that fired in the live policy
	PolicyVersion string
	Since         time.Time // decided_at >= Since
	Until         time.Time // decided_at < Until
	Limit         int       // 0: DefaultLimit; at most MaxLimit
	Cursor        string    // Page.NextCursor of the previous page
}

// Page is one page of a Query, newest first.
type Page struct {
	Traces []*Trace `json:"traces"`
	// NextCursor fetches the next (older) page; empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Cursor is a decoded keyset position: the page continues with traces
// strictly older than (DecidedAt, ID).
type Cursor struct {
	DecidedAt time.Time
	ID        string
}

// EncodeCursor makes the opaque cursor string that points after t.
func EncodeCursor(t *Trace) string {
	raw := strconv.FormatInt(t.DecidedAt.UnixMicro(), 10) + "." + t.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor reads a cursor string; ErrInvalid when it is not one.
func DecodeCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: cursor is not base64url", ErrInvalid)
	}
	micros, id, ok := strings.Cut(string(raw), ".")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" {
		return Cursor{}, fmt.Errorf("%w: malformed cursor", ErrInvalid)
	}
	return Cursor{DecidedAt: time.UnixMicro(n).UTC(), ID: id}, nil
}

// Normalize checks a filter and fills its defaults: the limit, and the
// decoded cursor (nil when none).
func (f *Filter) Normalize() (*Cursor, error) {
	switch {
	case f.Limit < 0 || f.Limit > MaxLimit:
		return nil, fmt.Errorf("%w: limit %d is outside 1..%d", ErrInvalid, f.Limit, MaxLimit)
	case f.Limit == 0:
		f.Limit = DefaultLimit
	}
	if f.Outcome != "" && f.Outcome.Severity() < 0 {
		return nil, fmt.Errorf("%w: outcome %q is not allow, review or deny", ErrInvalid, f.Outcome)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return nil, fmt.Errorf("%w: since must be before until", ErrInvalid)
	}
	if f.Cursor == "" {
		return nil, nil
	}
	c, err := DecodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// ParseTime reads an RFC 3339 time, a date (2026-11-25, UTC), or a duration
// back from now: "90m", "24h", "7d".
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%q is not a number of days", s)
		}
		if n > int(math.MaxInt64/int64(24*time.Hour)) { // n days would overflow and wrap to another time
			return time.Time{}, fmt.Errorf("%q is more days than a duration holds", s)
		}
		return now.Add(-time.Duration(n) * 24 * time.Hour).UTC(), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time, a date, or a duration such as 24h or 7d", s)
}
