// Package reload keeps verdict's live policy set current: it loads the rules
// folder into a new engine.Set and swaps it into an engine.Live, on start-up,
// on SIGHUP, on POST /v1/policies/reload (api calls it through a small
// interface) and, when watching is on, on changes in the folder.
//
// A set that fails to load is rejected whole and the previous set keeps
// serving. Reloads are serialized, and a caller waits for its turn only as
// long as its context allows. Each attempt is reported as an Event (metrics
// count them) and logged with policy_name and policy_version fields.
//
// It knows nothing of HTTP: api adapts it, cmd/verdict wires it.
package reload
