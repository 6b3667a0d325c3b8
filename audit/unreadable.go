package audit

import (
	"bytes"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// unreadableTrace is the entry for a stored body that does not decode: the
// id and decision time read from the body's first members (where the trace
// encoding puts them, before anything deep), and why it is unreadable.
func unreadableTrace(body []byte, err error) Trace {
	t := Trace{Unreadable: err.Error()}
	if t.Unreadable == "" {
		t.Unreadable = "the stored trace cannot be decoded"
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return t
	}
	for found := 0; found < 2 && dec.PeekKind() == '"'; {
		name, err := dec.ReadToken()
		if err != nil {
			return t
		}
		field := name.String()
		if field != "id" && field != "decided_at" {
			if dec.SkipValue() != nil {
				return t
			}
			continue
		}
		val, err := dec.ReadToken()
		if err != nil || val.Kind() != '"' {
			return t
		}
		found++
		if field == "id" {
			t.ID = val.String()
		} else if at, err := time.Parse(time.RFC3339Nano, val.String()); err == nil {
			t.DecidedAt = at
		}
	}
	return t
}
