// Package roundtabletest is a real HTTP server that speaks Roundtable's
// session report API from a folder of report JSON files, for tests, demos and
// benchmarks, and for `verdict sim`.
//
// It serves GET /v1/sessions/{id}/report and GET /v1/sessions/report?sessionId=,
// checks the bearer key, keeps the most recent requests it receives (the path
// as sent, so tests can prove which upstream paths a client reaches; a ring of
// fixed size, so a long demo or soak does not grow), and injects
// faults per session or for all: latency, any status (with Retry-After),
// malformed JSON, a truncated or oversized body, a body that drips slowly, a
// reset connection. Reports can be replaced while it runs.
//
// It is not a Roundtable emulator beyond that endpoint: other paths answer 404.
package roundtabletest
