package fetcher

import "time"

// Observer receives the client's events, for metrics. The api package
// implements it with Prometheus counters and histograms; fetcher itself stays
// free of any metrics library. Methods are called from the fetching goroutines
// and must be safe for concurrent use and quick.
type Observer interface {
	// Upstream is called once per HTTP attempt: status is the HTTP code as
	// text ("200", "503"), or "error" when no response arrived (timeout,
	// connection refused or reset, body cut short).
	Upstream(status string, elapsed time.Duration)
	// Retry is called before each retry.
	Retry()
	// BreakerState is called when the circuit breaker changes state
	// ("closed", "open", "half-open").
	BreakerState(state string)
	// Cache is called once per Fetch of a valid session id: hit is true when
	// the report came from the cache.
	Cache(hit bool)
}

// nopObserver is the Observer used when Config.Observer is nil.
type nopObserver struct{}

func (nopObserver) Upstream(string, time.Duration) {}
func (nopObserver) Retry()                         {}
func (nopObserver) BreakerState(string)            {}
func (nopObserver) Cache(bool)                     {}
