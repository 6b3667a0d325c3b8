package audit_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/internal/audittest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestExportJSONLGolden(t *testing.T) {
	s := audittest.MustOpen(t, filepath.Join(t.TempDir(), "log.db"), audit.Options{})
	for i := range 6 {
		tr := audittest.SampleTrace(i)
		tr.ID = "0193a4f2-0000-7000-8000-00000000000" + string(rune('0'+i))
		if i == 4 {
			tr.Report, tr.ReportStatus, tr.FetchError = []byte("not json\n"), "invalid", "roundtable returned an invalid report"
		}
		audittest.MustAppend(t, s, tr)
	}
	var buf bytes.Buffer
	n, _, err := audit.ExportJSONL(context.Background(), s, audittest.Base.Add(time.Second), audittest.Base.Add(5*time.Second), &buf)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if n != 4 {
		t.Fatalf("exported %d traces, want 4", n)
	}
	golden := filepath.Join("testdata", "export.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (refresh with go test ./audit -run Export -update): %v", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("export differs from %s (refresh with -update if intended):\n%s", golden, buf.Bytes())
	}
}

func TestRetentionPrunesOldTraces(t *testing.T) {
	s := audittest.MustOpen(t, filepath.Join(t.TempDir(), "log.db"), audit.Options{})
	for i := range 10 {
		audittest.MustAppend(t, s, audittest.SampleTrace(i*3600)) // one an hour
	}
	var pruned int64
	r := &audit.Retention{Store: s, Keep: 4 * time.Hour,
		Now:    func() time.Time { return audittest.Base.Add(9*time.Hour + time.Minute) },
		Report: func(n int64, _ time.Time, err error) { pruned = n },
	}
	n, before, err := r.PruneOnce(context.Background())
	if err != nil || n != 6 {
		t.Fatalf("prune before %v: %d, %v; want 6 pruned (hours 0-5)", before, n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	cancel()
	<-done
	if pruned != 0 {
		t.Fatalf("second prune removed %d traces, want 0", pruned)
	}
	page, err := s.Query(context.Background(), audit.Filter{})
	if err != nil || len(page.Traces) != 4 {
		t.Fatalf("%d traces left, %v; want 4", len(page.Traces), err)
	}
}
