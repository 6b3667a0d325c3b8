// Package fetcher is verdict's Roundtable client: the session report type and
// its validation, and (in client.go and friends) an HTTP client with timeouts,
// retries, a circuit breaker, a short-lived cache and request coalescing.
//
// It knows nothing of policies or of verdict's own API. The sub-package
// roundtabletest is a real HTTP server that speaks Roundtable's API, for tests,
// demos and benchmarks.
package fetcher
