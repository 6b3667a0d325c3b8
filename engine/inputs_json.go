package engine

import (
	"math"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// MarshalJSONTo writes the inputs for json v2 as MarshalJSON does for
// encoding/json — one object keyed by path in sorted order, {} when there
// are none — streaming into the caller's encoder (the API's answer) instead
// of through a buffer of its own. A number JSON cannot hold (NaN, ±Inf) is
// written as null.
func (in Inputs) MarshalJSONTo(enc *jsontext.Encoder) error {
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for _, x := range in.Sorted() {
		if err := enc.WriteToken(jsontext.String(x.Path)); err != nil {
			return err
		}
		var err error
		switch v := x.Value.(type) {
		case string:
			err = enc.WriteToken(jsontext.String(v))
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				err = enc.WriteToken(jsontext.Null)
			} else {
				err = enc.WriteToken(jsontext.Float(v))
			}
		case int:
			err = enc.WriteToken(jsontext.Int(int64(v)))
		case bool:
			err = enc.WriteToken(jsontext.Bool(v))
		case nil:
			err = enc.WriteToken(jsontext.Null)
		default:
			err = json.MarshalEncode(enc, v)
		}
		if err != nil {
			return err
		}
	}
	return enc.WriteToken(jsontext.EndObject)
}
