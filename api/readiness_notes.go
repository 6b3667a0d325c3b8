package api

// ReadinessNote is a line of /readyz's checks that never makes the replica
// unready: something an operator should see there, such as whether the rules
// folder is watched (when it is not, SIGHUP and POST /v1/policies/reload
// still reload, so the replica still decides).
type ReadinessNote struct {
	Name   string        // the key in /readyz's checks, e.g. "policy_watch"
	Status func() string // "ok", or what is wrong
}
