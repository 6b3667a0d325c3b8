// Package audit is verdict's decision log: the Trace of every decision, the
// Store interface that keeps traces durably and reads them back (by id, by
// filter with keyset pagination, by idempotency key, as a stream for export
// and replay), and the pieces shared by every backend: the group-commit
// Batcher, cursors, retention and JSON Lines export.
//
// The backends live in their own packages and register themselves with
// Register, the way database/sql drivers do: audit/sqlite (the embedded
// default) and audit/postgres (several replicas sharing one log). Open picks
// one by URL. The package audit/audittest holds the conformance suite that
// both run.
//
// audit knows nothing of HTTP; the api package adapts it. A trace is never
// updated; the only deletion is Prune, for retention.
package audit
