package report

import (
	"encoding/json"
	"unicode/utf8"
)

// scanner walks a JSON text for scanReport (report_scan.go): the JSON
// grammar pieces, with no reflection and no intermediate values. Every
// method leaves i just after what it read and returns false on anything it
// does not handle, which sends the whole report to encoding/json.
type scanner struct {
	b []byte
	i int
}

// maxSkipDepth bounds the nesting of unknown values the fast path skips;
// deeper ones go to encoding/json (whose own limit is 10,000).
const maxSkipDepth = 64

// ws skips JSON whitespace.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// eat consumes c if it is next.
func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// lit consumes the literal word (true, false, null) if it is next.
func (s *scanner) lit(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// str reads a string and returns its content when it is plain: printable
// ASCII without escapes, so the bytes are the value and a field name needs
// no Unicode case folding. plain is false otherwise, including when there
// is no string at all.
func (s *scanner) str() (content []byte, plain bool) {
	if !s.eat('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c < ' ' || c == '\\' || c >= utf8.RuneSelf:
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// value reads a string value as encoding/json would give it. Escapes are
// handed to encoding/json itself (rare in reports); control characters and
// invalid UTF-8 (which encoding/json would replace) make ok false.
func (s *scanner) value() (v string, ok bool) {
	if !s.eat('"') {
		return "", false
	}
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			content := s.b[start : s.i-1]
			if !ascii && !utf8.Valid(content) {
				return "", false
			}
			return string(content), true
		case c == '\\':
			return s.escaped(start - 1)
		case c < ' ':
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		s.i++
	}
	return "", false
}

// escaped finishes a string that starts at quote and has escapes, and
// unquotes it with encoding/json.
func (s *scanner) escaped(quote int) (string, bool) {
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			var v string
			if json.Unmarshal(s.b[quote:s.i], &v) != nil || !utf8.ValidString(v) {
				return "", false
			}
			return v, true
		case c == '\\':
			s.i += 2 // the escaped byte; encoding/json validates the escape
			continue
		case c < ' ':
			return "", false
		}
		s.i++
	}
	return "", false
}

// number reads a number literal, checking the JSON grammar.
func (s *scanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	s.i = i
	return true
}

// digits returns the index of the first non-digit of b at or after i.
func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// skip reads any JSON value, checking its syntax, and discards it.
func (s *scanner) skip(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.skipString()
	case c == '{' || c == '[':
		if depth >= maxSkipDepth {
			return false
		}
		s.i++
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		s.ws()
		if s.eat(end) {
			return true
		}
		for {
			s.ws()
			if c == '{' {
				if !s.skipString() {
					return false
				}
				s.ws()
				if !s.eat(':') {
					return false
				}
				s.ws()
			}
			if !s.skip(depth + 1) {
				return false
			}
			s.ws()
			if s.eat(end) {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	default:
		return s.number()
	}
}

// skipString reads a string, checking its syntax (escapes included), and
// discards it. Like encoding/json's scanner it accepts any byte from 0x20 up,
// invalid UTF-8 included.
func (s *scanner) skipString() bool {
	if !s.eat('"') {
		return false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch {
		case c == '"':
			return true
		case c < ' ':
			return false
		case c == '\\':
			if s.i >= len(s.b) {
				return false
			}
			e := s.b[s.i]
			s.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(s.b)-s.i < 4 {
					return false
				}
				for _, h := range s.b[s.i : s.i+4] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				s.i += 4
			default:
				return false
			}
		}
	}
	return false
}
