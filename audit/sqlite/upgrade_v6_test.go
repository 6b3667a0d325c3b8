package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// TestUpgradeFromV6: a log written by schema version 6 (audit/testdata/
// sqlite-v6.db: audittest.FixtureTraces appended by main at 8263de3, the
// last release before the report columns) opens with this build, gains the
// risk_score and checks columns (NULL for its traces), reads every trace
// back, still verifies whole, and takes new traces, which carry the columns
// and verify too. Counters read the old traces' reports instead.
func TestUpgradeFromV6(t *testing.T) {
	path := copyFixture(t, "sqlite-v6.db")
	ctx := context.Background()
	s := audittest.MustOpen(t, path, audit.Options{})
	want := audittest.FixtureTraces()
	audittest.AssertStored(t, s, want)
	res, err := audit.Verify(ctx, s.(audit.CheckpointLog), audit.VerifyOptions{})
	if err != nil || res.Break != nil || res.Verified != int64(len(want)) || res.Legacy != 0 {
		t.Fatalf("verify of the upgraded log: %+v, %v; want %d verified", res, err, len(want))
	}
	next := audittest.SampleTrace(20) // even: it carries the report columns
	if next.RiskScore == nil || next.CheckCodes == nil {
		t.Fatal("SampleTrace(20) has no report columns: the test shows nothing")
	}
	audittest.MustAppend(t, s, next)
	res, err = audit.Verify(ctx, s.(audit.CheckpointLog), audit.VerifyOptions{})
	if err != nil || res.Break != nil || res.Verified != int64(len(want))+1 {
		t.Fatalf("verify after an append: %+v, %v; want %d verified", res, err, len(want)+1)
	}
	withColumns, withReport := 0, 0
	if err := s.(audit.ReportColumnSource).ReportColumnRows(ctx, time.Time{}, time.Time{}, func(r *audit.ReplayRow) error {
		switch {
		case r.RiskScore != nil && len(r.CheckCodes) > 0:
			withColumns++
		case len(r.Report) > 0:
			withReport++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if withColumns != 1 || withReport < len(want)-2 {
		t.Fatalf("%d traces read with their columns, %d with their reports; want 1 and the fixture's (%d, some without a report)", withColumns, withReport, len(want))
	}
}
