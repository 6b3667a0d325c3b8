package audittest

import (
	"context"
	"sync/atomic"
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
