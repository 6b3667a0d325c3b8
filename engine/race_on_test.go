//go:build race

package engine

// raceSlowdown scales the CPU bounds of load tests under the race detector,
// which makes loading a policy 5 to 20 times slower.
const raceSlowdown = 20
