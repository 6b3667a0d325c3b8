package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonObject is a JSON object that keeps its members' order, so masking a
// field changes that field's value and nothing else of the document.
type jsonObject []jsonMember

type jsonMember struct {
	Key   string
	Value any // jsonObject, []any, string, json.Number, bool or nil
}

// get returns the member's value and its index, or -1.
func (o jsonObject) get(key string) (any, int) {
	for i, m := range o {
		if m.Key == key {
			return m.Value, i
		}
	}
	return nil, -1
}

// decodeOrdered decodes one JSON document into jsonObject, []any and
// scalars (numbers as json.Number), refusing trailing data.
func decodeOrdered(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := jsonObject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o = append(o, jsonMember{k, v})
			}
			_, err := dec.Token() // '}'
			return o, err
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token() // ']'
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}

// encodeOrdered writes a value decodeOrdered returned (compact, no HTML escaping).
func encodeOrdered(v any) ([]byte, error) {
	var buf bytes.Buffer
	err := writeOrdered(&buf, v)
	return buf.Bytes(), err
}

func writeOrdered(buf *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case jsonObject:
		buf.WriteByte('{')
		for i, m := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeScalar(buf, m.Key); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := writeOrdered(buf, m.Value); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeOrdered(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		return writeScalar(buf, v)
	}
	return nil
}

func writeScalar(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	return nil
}
