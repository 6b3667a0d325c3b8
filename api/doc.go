// Package api is verdict's HTTP decision API, served with Echo v4: routes,
// thin handlers over the engine and the fetcher, API-key auth with scopes,
// strict JSON decoding, one table from domain errors to HTTP errors, request
// ids and logs, Prometheus metrics, and the hand-written OpenAPI document it
// serves at /openapi.json. POST /v1/policies/reload calls a PolicyReloader
// (internal/reload owns hot reload: watching, SIGHUP, the swap).
//
// It adapts; it does not decide. Policy selection and evaluation live in
// engine, report fetching in fetcher; neither knows this package exists.
// Wiring (configuration, the listener, signals) lives in cmd/verdict.
//
// The decision log (package audit) plugs in through Options.Log: AuditLog
// adapts an audit.Store to DecisionRecorder (a trace is committed before
// every POST /v1/decisions answer) and IdempotencyStore (retries get the
// stored answer), /readyz pings it, and GET /v1/decisions and
// GET /v1/decisions/{id} read it (scope audit). Options.MonitorOnly answers
// allow while the log records what would have been decided.
package api
