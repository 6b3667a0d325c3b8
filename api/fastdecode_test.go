package api

import (
	"bytes"
	"encoding/json"
	"testing"
)

// strictDecide is what the fast path must agree with: the strict decoder,
// then the context parse.
func strictDecide(body []byte) (decideRequest, map[string]any, error) {
	var req decideRequest
	if err := decodeStrict(body, &req); err != nil {
		return req, nil, err
	}
	m, _, err := decodeContext(req.Context)
	return req, m, err
}

var fastSeeds = []string{
	`{"session_id":"abc","context":{"amount":12.5,"country":"FR"}}`,
	` {"context": {"a":[1,{"b":"}"}]}, "session_id" : "x-1_2"} `,
	`{"session_id":"abc"}`, `{}`, `{"context":null}`, `{"session_id":"a","context":[]}`,
	`{"session_id":"a","context":"x"}`, `{"session_id":"a","context":1e5}`, `{"session_id":"a","context":tru}`,
	`{"session_id":"a","session_id":"b"}`, `{"Session_ID":"a"}`, `{"session_id":"a\u0041"}`, `{"session_id":"é"}`,
	`{"session_id":"a",}`, `{"session_id":"a"} {}`, `{"session_id":"a"}}`, `{"session_id":"a","context":{"x":"\"}"}}`,
	`{"session_id":"a","context":{"x":1}]`, `{"session_id":"a","context":{"x":"y}`, `{"session_id":null}`, `{"session_id":5}`,
	`{"session_id":"a","other":1}`, `{"context":{},"context":{}}`, "{\"session_id\":\"a\x01\"}", `{"session_id":"a" "context":{}}`,
	`{"session_id":"a","context":{"a":1,}}`, `{"session_id":"a","context":{"deep":[[[[[{}]]]]]}}`,
}

// TestFastDecideAgreesWithStrict: whatever the fast path accepts, the strict
// decoder accepts with the same session id and context.
func TestFastDecideAgreesWithStrict(t *testing.T) {
	accepted := 0
	for _, s := range fastSeeds {
		if checkFast(t, []byte(s)) {
			accepted++
		}
	}
	if accepted < 5 {
		t.Fatalf("the fast path accepted only %d of the well-formed seeds", accepted)
	}
}

func FuzzFastDecide(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkFast(t, body) })
}

// checkFast reports whether the fast path accepted body, failing t when it
// accepted something the strict path refuses or reads differently.
func checkFast(t *testing.T, body []byte) bool {
	t.Helper()
	id, ctxRaw, ok := parseDecideFast(body)
	if !ok {
		return false
	}
	fastCtx, _, fastCtxErr := decodeContext(ctxRaw)
	req, strictCtx, err := strictDecide(body)
	if fastCtxErr != nil {
		return false // the caller falls back to the strict path for this body
	}
	if err != nil {
		t.Fatalf("fast path accepted %q, strict path refused it: %v", body, err)
	}
	if req.SessionID != id {
		t.Fatalf("%q: session id %q, strict %q", body, id, req.SessionID)
	}
	a, _ := json.Marshal(fastCtx)
	b, _ := json.Marshal(strictCtx)
	if !bytes.Equal(a, b) {
		t.Fatalf("%q: context %s, strict %s", body, a, b)
	}
	return true
}
