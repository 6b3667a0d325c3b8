package api

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// answerOptions encode a decision's answer with json v2 as encoding/json
// would write it: <, >, & and U+2028/U+2029 escaped, invalid UTF-8 as
// U+FFFD (a fired rule's inputs write themselves, engine.Inputs.MarshalJSONTo).
// Member names are not checked for duplicates: struct fields cannot repeat,
// and the inputs are written deduplicated by path.
var answerOptions = json.JoinOptions(
	jsontext.EscapeForHTML(true),
	jsontext.EscapeForJS(true),
	jsontext.AllowInvalidUTF8(true),
	jsontext.AllowDuplicateNames(true),
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
