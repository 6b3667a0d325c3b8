package lists_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/lists"
)

// benchItems is the size of the list BenchmarkLoad loads.
const benchItems = 1_000_000

// benchLog is a SQLite log whose list big holds benchItems items, made once
// per run (the import is not measured).
func benchLog(b *testing.B) string {
	return audittest.OnceLog(b, "lists", func(s audit.Store) error {
		items := make([]audit.ListItem, benchItems)
		for i := range items {
			items[i] = audit.ListItem{Value: fmt.Sprintf("user-%012d", i*7919), KeyID: "cli"}
		}
		_, err := s.(audit.ListStore).PutListItems(context.Background(), "big", items)
		return err
	})
}

// BenchmarkLoad loads a list of 1,000,000 items from a SQLite log into the
// in-memory snapshot, as serve does at start; heap-MB is what the snapshot
// keeps (live heap after a GC, less the heap before). The baseline, in the
// same run: the same values put in a plain map[string]struct{} from a slice
// already in memory (no database), which shows how loaded the machine is.
func BenchmarkLoad(b *testing.B) {
	db := benchLog(b)
	st := audittest.MustListStore(b, db, audit.Options{ReadOnly: true})
	b.Run("snapshot", func(b *testing.B) {
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			before := liveHeap()
			b.StartTimer()
			cpu0 := audittest.CPUTime()
			m := lists.NewMemory()
			if err := m.Load(context.Background(), st); err != nil {
				b.Fatal(err)
			}
			cpu += audittest.CPUTime() - cpu0
			b.StopTimer()
			b.ReportMetric(float64(liveHeap()-before)/(1<<20), "heap-MB")
			if got := m.Len("big", benchNow); got != benchItems {
				b.Fatalf("loaded %d items", got)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	})
	b.Run("baseline-map", func(b *testing.B) {
		values := make([]string, benchItems)
		for i := range values {
			values[i] = fmt.Sprintf("user-%012d", i*7919)
		}
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			before := liveHeap()
			b.StartTimer()
			cpu0 := audittest.CPUTime()
			set := make(map[string]struct{})
			for _, v := range values {
				set[v] = struct{}{}
			}
			cpu += audittest.CPUTime() - cpu0
			b.StopTimer()
			b.ReportMetric(float64(liveHeap()-before)/(1<<20), "heap-MB")
			if len(set) != benchItems {
				b.Fatal("short map")
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	})
}

// liveHeap is the live heap after a collection.
func liveHeap() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
