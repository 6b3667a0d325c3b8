package api

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/fetcher"
)

// Metrics holds verdict's Prometheus collectors, on a registry of its own
// (with the Go and process collectors). It implements fetcher.Observer, so
// the Roundtable client reports into it.
type Metrics struct {
	reg *prometheus.Registry

	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	decisions       *prometheus.CounterVec
	ruleFires       *prometheus.CounterVec
	shadowDecisions *prometheus.CounterVec
	decisionStage   *prometheus.HistogramVec
	stageFetch      prometheus.Observer
	stageEvaluate   prometheus.Observer
	stageTotal      prometheus.Observer

	upstreamDuration *prometheus.HistogramVec
	upstreamRetries  prometheus.Counter
	breakerState     *prometheus.GaugeVec
	cache            *prometheus.CounterVec
	cacheHit         prometheus.Counter
	cacheMiss        prometheus.Counter

	reloads         *prometheus.CounterVec
	lastReload      prometheus.Gauge
	policiesLoaded  prometheus.Gauge
	policyWatch     prometheus.Gauge
	decisionLogErrs prometheus.Counter
	unreadable      prometheus.Counter // unreadable traces served by the read routes

	// Resolved children of the vectors, by label values: the hot path skips
	// the vectors' label hashing. Bounded by the label sets themselves.
	decisionChildren sync.Map // decisionLabels -> prometheus.Counter
	fireChildren     sync.Map // [2]string{policy, rule} -> prometheus.Counter
	httpChildren     sync.Map // httpLabels -> prometheus.Observer
}

type decisionLabels struct{ outcome, policy, version, reason, reportStatus string }

type httpLabels struct {
	method, route string
	status        int
}

var _ fetcher.Observer = (*Metrics)(nil)

// NewMetrics creates and registers every collector.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	latency := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
	m := &Metrics{
		reg: reg,
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "verdict_http_request_duration_seconds", Help: "HTTP request latency by method, route template and status.", Buckets: latency,
		}, []string{"method", "route", "status"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verdict_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verdict_decisions_total", Help: "Decisions answered by POST /v1/decisions, by outcome, policy, policy version, reason and report status.",
		}, []string{"outcome", "policy", "policy_version", "reason", "report_status"}),
		ruleFires: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verdict_rule_fires_total", Help: "Rules that fired in live decisions, by policy and rule id.",
		}, []string{"policy", "rule"}),
		shadowDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verdict_shadow_decisions_total", Help: "Shadow policy decisions, by live policy, shadow policy, shadow outcome and whether they agree with the live outcome.",
		}, []string{"live_policy", "shadow_policy", "outcome", "agree"}),
		decisionStage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "verdict_decision_stage_duration_seconds", Help: "Time spent in each stage of a decision: fetch, evaluate, total.", Buckets: latency,
		}, []string{"stage"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "verdict_upstream_request_duration_seconds", Help: "Roundtable HTTP attempts, by status code (or \"error\").", Buckets: latency,
		}, []string{"status"}),
		upstreamRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "verdict_upstream_retries_total", Help: "Retries of Roundtable requests.",
		}),
		breakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "verdict_upstream_breaker_state", Help: "1 for the circuit breaker's current state (closed, open, half-open), 0 for the others.",
		}, []string{"state"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verdict_report_cache_total", Help: "Report fetches by cache result (hit, miss).",
		}, []string{"result"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verdict_policy_reloads_total", Help: "Policy set reloads by trigger (start, watch, sighup, api) and result (success, failure).",
		}, []string{"trigger", "result"}),
		lastReload: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verdict_policy_last_reload_success_timestamp_seconds", Help: "When the live policy set was swapped in (Unix time).",
		}),
		policiesLoaded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verdict_policies_loaded", Help: "Policies in the live set.",
		}),
		policyWatch: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verdict_policy_watch_active", Help: "1 while changes in the rules folder trigger reloads, 0 when watching is off or impossible (SIGHUP and POST /v1/policies/reload still reload).",
		}),
		decisionLogErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "verdict_decision_log_errors_total", Help: "Decisions refused with 503 because the decision log failed.",
		}),
		unreadable: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "verdict_decision_log_unreadable_traces_total",
			Help: "Stored traces that could not be decoded, served by GET /v1/decisions[/{id}] as unreadable entries.",
		}),
	}
	reg.MustRegister(m.httpDuration, m.httpInFlight, m.decisions, m.ruleFires, m.shadowDecisions, m.decisionStage,
		m.upstreamDuration, m.upstreamRetries, m.breakerState, m.cache, m.reloads, m.lastReload, m.policiesLoaded, m.policyWatch, m.decisionLogErrs, m.unreadable)
	m.cacheHit, m.cacheMiss = m.cache.WithLabelValues("hit"), m.cache.WithLabelValues("miss")
	m.stageFetch = m.decisionStage.WithLabelValues("fetch")
	m.stageEvaluate = m.decisionStage.WithLabelValues("evaluate")
	m.stageTotal = m.decisionStage.WithLabelValues("total")
	for _, st := range []string{"closed", "open", "half-open"} {
		m.breakerState.WithLabelValues(st).Set(0)
	}
	m.breakerState.WithLabelValues("closed").Set(1)
	return m
}

// Registry returns the registry, for components that add their own
// collectors (the decision log, for one).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Upstream implements fetcher.Observer.
func (m *Metrics) Upstream(status string, elapsed time.Duration) {
	m.upstreamDuration.WithLabelValues(status).Observe(elapsed.Seconds())
}

// Retry implements fetcher.Observer.
func (m *Metrics) Retry() { m.upstreamRetries.Inc() }

// BreakerState implements fetcher.Observer.
func (m *Metrics) BreakerState(state string) {
	for _, st := range []string{"closed", "open", "half-open"} {
		v := 0.0
		if st == state {
			v = 1
		}
		m.breakerState.WithLabelValues(st).Set(v)
	}
}

// Cache implements fetcher.Observer.
func (m *Metrics) Cache(hit bool) {
	if hit {
		m.cacheHit.Inc()
	} else {
		m.cacheMiss.Inc()
	}
}

// observeDecision counts a live decision, its fired rules and its shadow.
func (m *Metrics) observeDecision(live engine.Decision, shadow *engine.Decision, reportStatus string) {
	dl := decisionLabels{string(live.Outcome), live.Policy.Name, live.Policy.Version, live.Reason, reportStatus}
	c, ok := m.decisionChildren.Load(dl)
	if !ok {
		c, _ = m.decisionChildren.LoadOrStore(dl, m.decisions.WithLabelValues(dl.outcome, dl.policy, dl.version, dl.reason, dl.reportStatus))
	}
	c.(prometheus.Counter).Inc()
	for _, r := range live.FiredRules {
		k := [2]string{live.Policy.Name, r.ID}
		fc, ok := m.fireChildren.Load(k)
		if !ok {
			fc, _ = m.fireChildren.LoadOrStore(k, m.ruleFires.WithLabelValues(k[0], k[1]))
		}
		fc.(prometheus.Counter).Inc()
	}
	if shadow != nil {
		agrees := "false"
		if shadow.Outcome == live.Outcome {
			agrees = "true"
		}
		m.shadowDecisions.WithLabelValues(live.Policy.Name, shadow.Policy.Name, string(shadow.Outcome), agrees).Inc()
	}
}

// observeHTTP records one request's latency.
func (m *Metrics) observeHTTP(method, route string, status int, elapsed time.Duration) {
	k := httpLabels{method, route, status}
	o, ok := m.httpChildren.Load(k)
	if !ok {
		o, _ = m.httpChildren.LoadOrStore(k, m.httpDuration.WithLabelValues(method, route, strconv.Itoa(status)))
	}
	o.(prometheus.Observer).Observe(elapsed.Seconds())
}

// ObserveReload counts a reload attempt and, on success, the new set.
func (m *Metrics) ObserveReload(trigger string, set *engine.Set, err error) {
	if err != nil {
		m.reloads.WithLabelValues(trigger, "failure").Inc()
		return
	}
	m.reloads.WithLabelValues(trigger, "success").Inc()
	m.lastReload.Set(float64(time.Now().Unix()))
	m.policiesLoaded.Set(float64(len(set.Policies())))
}

// SetPolicyWatch records whether the rules folder is watched for changes.
func (m *Metrics) SetPolicyWatch(watching bool) {
	v := 0.0
	if watching {
		v = 1
	}
	m.policyWatch.Set(v)
}
