package api

import (
	"math"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/verdicthq/verdict/engine"
)

// answerOptions encode a decision's answer with json v2 as encoding/json
// would write it: <, >, & and U+2028/U+2029 escaped, invalid UTF-8 as
// U+FFFD, and a fired rule's inputs as one object sorted by path.
var answerOptions = json.JoinOptions(
	jsontext.EscapeForHTML(true),
	jsontext.EscapeForJS(true),
	jsontext.AllowInvalidUTF8(true),
	json.WithMarshalers(json.MarshalToFunc(marshalInputs)),
)

// appendDecision appends the JSON of a DecisionResponse to b.
func appendDecision(b []byte, r *DecisionResponse) ([]byte, error) {
	out, err := json.Marshal(r, answerOptions)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return out, nil
	}
	return append(b, out...), nil
}

// marshalInputs writes a fired rule's inputs as a JSON object keyed by path
// in sorted order ({} when there are none), streaming into the answer's
// encoder rather than through engine.Inputs.MarshalJSON's own buffer. A
// number JSON cannot hold (NaN, ±Inf) is written as null.
func marshalInputs(enc *jsontext.Encoder, in engine.Inputs) error {
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
