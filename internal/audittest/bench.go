package audittest

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// BenchAppend measures durable appends through a store opened on url
// with opts, from parallelism×GOMAXPROCS goroutines at once, each append
// returning only once committed. It reports appends/s and the stored size
// of one trace (body plus report).
func BenchAppend(b *testing.B, url string, opts audit.Options, parallelism int) {
	s, err := audit.Open(context.Background(), url, opts)
	if err != nil {
		b.Fatalf("open %s: %v", url, err)
	}
	defer s.Close()
	row, err := audit.EncodeRow(SampleTrace(2), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(parallelism)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tr := SampleTrace(int(n.Add(1)))
			tr.DecidedAt = time.Now()
			if err := s.Append(context.Background(), tr); err != nil {
				b.Errorf("append: %v", err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
	b.ReportMetric(float64(len(row.Body)+len(row.Report)), "bytes/trace")
}

// BenchVerify measures audit.Verify over a log of n traces written through
// a store opened on url, and reports traces verified per second.
func BenchVerify(b *testing.B, url string, n int) {
	ctx := context.Background()
	s, err := audit.Open(ctx, url, audit.Options{})
	if err != nil {
		b.Fatalf("open %s: %v", url, err)
	}
	defer s.Close()
	var next atomic.Int64
	done := make(chan error, 64)
	for range 64 {
		go func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					done <- nil
					return
				}
				if err := s.Append(ctx, SampleTrace(int(i))); err != nil {
					done <- err
					return
				}
			}
		}()
	}
	for range 64 {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	l := s.(audit.CheckpointLog)
	b.ResetTimer()
	start, cpu0 := time.Now(), CPUTime()
	for range b.N {
		res, err := audit.Verify(ctx, l, audit.VerifyOptions{})
		if err != nil || res.Break != nil || res.Verified != int64(n) {
			b.Fatalf("verify: %+v, %v", res, err)
		}
	}
	b.StopTimer()
	total := float64(n) * float64(b.N)
	b.ReportMetric(total/time.Since(start).Seconds(), "traces/s")
	// On a shared machine the wall figure says how busy the others are;
	// traces per CPU-second (user+system, the whole process) do not.
	b.ReportMetric(total/(CPUTime()-cpu0).Seconds(), "traces/cpu-s")
}

// CPUTime is the process's user and system CPU time so far: what
// benchmarks report beside wall time, which a loaded machine inflates.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
