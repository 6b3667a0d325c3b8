// Package audittest is the conformance suite every audit.Store backend runs,
// and the sample traces its tests and benchmarks share. Run opens stores
// through audit.Open, so it also checks that a backend registers itself.
package audittest
