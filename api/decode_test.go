package api

import (
	json1 "encoding/json"
	"errors"
	"reflect"
	"testing"
)

// TestDecodeDecideRequest: the session id, the context as the engine reads
// it, and the context's bytes exactly as sent (the trace keeps them).
func TestDecodeDecideRequest(t *testing.T) {
	cases := []struct {
		name, body string
		ctx        map[string]any
		raw        string
	}{
		{"no context", `{"session_id":"a"}`, nil, ""},
		{"null context", `{"session_id":"a","context":null}`, nil, ""},
		{"empty context", `{"session_id":"a","context":{}}`, map[string]any{}, `{}`},
		{"context first, spaced", ` { "context" :  {"amount": 12.5, "n":{"x":[1,"}"]}} , "session_id" : "a" } `,
			map[string]any{"amount": 12.5, "n": map[string]any{"x": []any{1.0, "}"}}}, `{"amount": 12.5, "n":{"x":[1,"}"]}}`},
		{"escapes", `{"session_id":"a","context":{"note":"\u00e9\"\n"}}`, map[string]any{"note": "é\"\n"}, `{"note":"\u00e9\"\n"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, ctx, raw, err := testServer.decodeDecideRequest([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if id != "a" || !reflect.DeepEqual(ctx, tc.ctx) || string(raw) != tc.raw {
				t.Fatalf("got %q %#v %q", id, ctx, raw)
			}
		})
	}
}

// TestDecodeDuplicateFields: a member name twice, at the top or inside the
// context, is a 400 duplicate_field naming it.
func TestDecodeDuplicateFields(t *testing.T) {
	for body, field := range map[string]string{
		`{"session_id":"a","session_id":"b"}`:              "session_id",
		`{"session_id":"a","context":{},"context":{}}`:     "context",
		`{"session_id":"a","context":{"x":1,"x":2}}`:       "context.x",
		`{"session_id":"a","context":{"n":{"y":1,"y":1}}}`: "context.n.y",
	} {
		_, _, _, err := testServer.decodeDecideRequest([]byte(body))
		var e *Error
		if !errors.As(err, &e) || e.Status != 400 || e.Code != CodeDuplicateField {
			t.Fatalf("%s: %v", body, err)
		}
		if want := "duplicate field " + field + ":"; len(e.Message) < len(want) || e.Message[:len(want)] != want {
			t.Fatalf("%s: message %q, want it to start %q", body, e.Message, want)
		}
	}
}

// TestDecodeFieldNames: names match regardless of case, as under
// encoding/json, but not without their underscore; the same field twice in
// two cases is a duplicate.
func TestDecodeFieldNames(t *testing.T) {
	if id, _, _, err := testServer.decodeDecideRequest([]byte(`{"Session_ID":"a"}`)); err != nil || id != "a" {
		t.Fatalf("Session_ID: %q %v", id, err)
	}
	for body, code := range map[string]string{
		`{"sessionId":"a"}`:                   CodeUnknownField,
		`{"session-id":"a"}`:                  CodeUnknownField,
		`{"session_id":"a","SESSION_ID":"b"}`: CodeDuplicateField,
	} {
		_, _, _, err := testServer.decodeDecideRequest([]byte(body))
		var e *Error
		if !errors.As(err, &e) || e.Code != code {
			t.Fatalf("%s: %v, want %s", body, err, code)
		}
	}
}

// testServer decodes with the default limits.
var testServer = &Server{contextLimits: ContextLimits{}.withDefaults()}

// FuzzDecodeDecideRequest: any body either decodes (then it is valid JSON,
// the session id is valid and the context within the limits, and the context
// bytes kept read back as the context decoded) or is refused with an error
// the error table maps to a 4xx; never a panic or a 5xx.
//
//	go test -run '^$' -fuzz FuzzDecodeDecideRequest -fuzztime 60s ./api/
func FuzzDecodeDecideRequest(f *testing.F) {
	for _, s := range []string{
		`{"session_id":"abc","context":{"amount":12.5,"country":"FR"}}`, ` {"context": {"a":[1,{"b":"}"}]}, "session_id" : "x-1_2"} `,
		`{"session_id":"abc"}`, `{}`, `{"context":null}`, `{"session_id":"a","context":[]}`, `{"session_id":"a","session_id":"b"}`,
		`{"Session_ID":"a"}`, `{"session_id":"a\u0041"}`, `{"session_id":"a"} {}`, `{"session_id":"a","context":{"x":"\"}"}}`,
		`{"session_id":"a","context":{"a":1,"a":2}}`, "{\"session_id\":\"a\",\"context\":{\"n\":\"\xff\"}}", `{"session_id":"a","context":{"d":[[[[[{}]]]]]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		id, ctx, raw, err := testServer.decodeDecideRequest(body)
		if err != nil {
			if e := toError(err); e.Status < 400 || e.Status > 499 || e.Code == "" {
				t.Fatalf("%q: error %T %v is not a 4xx", body, err, err)
			}
			return
		}
		if !json1Valid(body) || id == "" {
			t.Fatalf("accepted %q (id %q)", body, id)
		}
		if ctx != nil {
			if err := testServer.contextLimits.check(ctx); err != nil {
				t.Fatalf("accepted a context over the limits: %v", err)
			}
			var back map[string]any
			if err := json1Unmarshal(raw, &back); err != nil || !reflect.DeepEqual(back, ctx) {
				t.Fatalf("%q: kept context bytes %q read back as %v, decoded %v", body, raw, back, ctx)
			}
		}
	})
}

func json1Valid(b []byte) bool             { return json1.Valid(b) }
func json1Unmarshal(b []byte, v any) error { return json1.Unmarshal(b, v) }
