package counters

import (
	"bytes"
	"errors"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// contextDecoder decodes stored contexts for a backfill's worker, reusing
// one jsontext.Decoder. A context is nearly always a flat object of texts,
// numbers and booleans ({"amount":120,"card":"c1"}), which it reads token by
// token into the map json v2's Unmarshal would build (numbers as float64),
// without Unmarshal's reflection and allocations: that was most of decoding
// a trace for counters once the reports were read from columns. Anything
// else (a nested value, a duplicate name, a number out of range, invalid
// UTF-8, broken JSON) goes to decodeJSON, so the result and the error are
// exactly Unmarshal's (TestContextDecoderMatchesUnmarshal).
type contextDecoder struct {
	rd  bytes.Reader
	dec *jsontext.Decoder
}

func newContextDecoder() *contextDecoder {
	c := &contextDecoder{}
	c.dec = jsontext.NewDecoder(&c.rd)
	return c
}

// decode returns the context data holds; a nil decoder (one-off reads,
// such as the replicas' tail) leaves it all to decodeJSON.
func (c *contextDecoder) decode(data []byte) (map[string]any, error) {
	if c != nil {
		if m, ok := c.flat(data); ok {
			return m, nil
		}
	}
	var m map[string]any
	err := decodeJSON(data, &m)
	return m, err
}

var errNotFlat = errors.New("not a flat object")

// flat reads data as a flat object; ok is false when it is not one, or is
// anything flat cannot read exactly as Unmarshal does.
func (c *contextDecoder) flat(data []byte) (map[string]any, bool) {
	c.rd.Reset(data)
	c.dec.Reset(&c.rd)
	if tok, err := c.dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	m := make(map[string]any, 4)
	for c.dec.PeekKind() == '"' {
		tok, err := c.dec.ReadToken()
		if err != nil {
			return nil, false
		}
		name := tok.String() // before the next read, which reuses the token's bytes
		v, err := c.scalar()
		if err != nil {
			return nil, false
		}
		m[name] = v
	}
	if tok, err := c.dec.ReadToken(); err != nil || tok.Kind() != '}' {
		return nil, false
	}
	if _, err := c.dec.ReadToken(); err != io.EOF {
		return nil, false // something after the object
	}
	return m, true
}

// scalar reads one text, number, boolean or null as Unmarshal into an any
// would; errNotFlat for anything else.
func (c *contextDecoder) scalar() (any, error) {
	switch c.dec.PeekKind() {
	case '"', '0', 't', 'f', 'n':
	default:
		return nil, errNotFlat
	}
	tok, err := c.dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case '"':
		return tok.String(), nil
	case '0':
		return tok.Float() // an error when out of range, as Unmarshal's
	case 't', 'f':
		return tok.Bool(), nil
	default:
		return nil, nil
	}
}
