package audittest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// Decide builds the trace the service stores for one report (raw bytes as
// received) and context, decided by a policy set the way the service does:
// a report that does not decode gets the policy's fallback.
func Decide(set *engine.Set, raw []byte, ctx map[string]any, at time.Time) *audit.Trace {
	t := &audit.Trace{DecidedAt: at, Report: raw, ReportStatus: report.StatusOK, KeyID: "key-test"}
	if ctx != nil {
		b, err := json.Marshal(ctx)
		if err != nil {
			panic(fmt.Sprintf("context %v: %v", ctx, err))
		}
		t.Context = b
	}
	rep, err := report.Decode(raw)
	var d engine.Decision
	if err != nil {
		live, _ := set.Select(nil)
		t.ReportStatus, t.FetchError = report.Status(err), err.Error()
		d = live.Fallback()
	} else {
		t.SessionID, t.UserID, t.Tags = rep.SessionID, rep.UserID, rep.Tags
		live, _ := set.Select(rep.Tags)
		d = live.Evaluate(engine.Facts{Report: rep, Context: ctx})
	}
	if t.SessionID == "" {
		t.SessionID = "unknown"
	}
	t.Policy, t.Outcome, t.Reason, t.FiredRules, t.RuleErrors = d.Policy, d.Outcome, d.Reason, d.FiredRules, d.RuleErrors
	return t
}

// Reports reads every *.json report in a folder (not its subfolders), sorted by name.
func Reports(dir string) (names []string, reports [][]byte, err error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("read report fixture: %w", err)
		}
		names, reports = append(names, filepath.Base(p)), append(reports, b)
	}
	return names, reports, nil
}
