// Package fetcher is verdict's Roundtable client: an HTTP client that stays
// fast and answers with a typed error when Roundtable is slow, down,
// rate-limiting or returning garbage. The report type, its decoding and its
// errors live in package report.
//
// A Fetch goes through, in order:
//
//   - report.ValidateSessionID: ids outside [A-Za-z0-9_-]{1,128} are refused
//     before any request, so no id can name another upstream path;
//   - a size-bounded LRU cache with a short TTL, successes only (cache.go);
//   - coalescing: concurrent fetches of one session share one upstream fetch,
//     which no single caller's cancellation can fail (flight.go);
//   - the retry loop: one total budget per fetch, exponential back-off with
//     jitter on 429, 5xx and network errors, Retry-After honoured when it fits
//     the budget (retry.go);
//   - a circuit breaker around each attempt, which opens when Roundtable is
//     unwell (enough distinct sessions failing, and a large enough share of
//     the outcomes, over a sliding window), never because one session's
//     report keeps failing (breaker.go);
//   - one HTTP attempt over a pooled keep-alive transport with connect, TLS and
//     header timeouts and a body size limit, classified into the typed errors
//     of package report (transport.go);
//   - report.DecodeOwned, which validates the body into a report.Report.
//
// report.Status maps an error to the report status the decision API returns;
// Observer receives the events the service exports as metrics; Config.Now is
// the clock of the cache and the breaker, so tests move it. The package
// knows nothing of policies, of verdict's API or of Prometheus.
//
// The sub-package roundtabletest is a real HTTP server that speaks
// Roundtable's report API from a folder of reports, with fault injection, for
// tests, demos, benchmarks and `verdict sim`.
package fetcher
