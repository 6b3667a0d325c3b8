package audittest

import (
	"fmt"

	"github.com/verdicthq/verdict/audit"
)

// FixtureTraces are the traces of the upgrade fixtures (logs written by an
// older schema, kept under audit/testdata): samples with fixed ids, one
// whose report is not JSON, one without a report, one in monitor-only mode
// and one with an idempotency key, so an upgrade is checked on every shape.
func FixtureTraces() []*audit.Trace {
	var out []*audit.Trace
	for i := range 12 {
		t := SampleTraceWithID(i, fmt.Sprintf("0193a000-0000-7000-8000-%012d", i))
		switch i {
		case 1:
			t.Report = []byte("<html>502 Bad Gateway\x00\xff</html>")
			t.ReportStatus = "invalid"
			t.FetchError = "roundtable returned an invalid report: not a JSON report object"
		case 2:
			t.Report = nil
			t.ReportStatus = "unavailable"
			t.FetchError = "roundtable is unavailable: timeout"
		case 3:
			t.MonitorOnly, t.WouldBeOutcome, t.Outcome = true, t.Outcome, "allow"
		case 4:
			t.IdempotencyKey, t.RequestHash = "order-991", "sha256:0a1b2c"
		}
		out = append(out, t)
	}
	return out
}
