package engine

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process has used so far (user and system, every
// thread). Load bounds are checked in CPU time, not wall time: on the shared
// development machine other processes can stretch a 0.2 s load to over a
// second of wall time, but not its CPU time.
func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadBound is the CPU time a policy may take to load (issue 10), and
// hangBound the wall time after which a load counts as hung whatever the
// machine's load.
const (
	loadBound = time.Second
	hangBound = 10 * time.Second
)

// decideBound is the CPU one decision may take (issue 10).
const decideBound = 50 * time.Millisecond

// checkLoadTime fails t when a load took over loadBound of CPU or hangBound
// of wall time (both times raceSlowdown under the race detector).
func checkLoadTime(t testing.TB, cpu, wall time.Duration) {
	t.Helper()
	if cpu > loadBound*raceSlowdown || wall > hangBound*raceSlowdown {
		t.Fatalf("loading took %v of CPU (%v wall); the bound is %v of CPU", cpu, wall, loadBound*raceSlowdown)
	}
}
