//go:build !race

package engine

// raceSlowdown scales the CPU bounds of load tests under the race detector
// (see race_on_test.go); 1 without it.
const raceSlowdown = 1
