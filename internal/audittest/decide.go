package audittest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// Decide builds the trace the service stores for one report (raw bytes as
// received) and context, decided at a time by a policy set through the
// service's own pipeline (decision.Pipeline): a report that does not decode
// is what the fetcher reports for it, and gets the policy's fallback. Unlike
// the service, the trace keeps the raw bytes even then, so replay tests see
// them.
func Decide(set *engine.Set, raw []byte, ctx map[string]any, at time.Time) *audit.Trace {
	var rawCtx []byte
	if ctx != nil {
		b, err := json.Marshal(ctx)
		if err != nil {
			panic(fmt.Sprintf("context %v: %v", ctx, err))
		}
		rawCtx = b
	}
	rep, decodeErr := report.Decode(raw)
	sessionID := "unknown"
	if decodeErr == nil && rep.SessionID != "" {
		sessionID = rep.SessionID
	}
	p := decision.Pipeline{Policies: decision.Static(set), Fetcher: decision.FetcherFunc(
		func(context.Context, string) (*report.Report, error) { return rep, decodeErr })}
	res, err := p.Decide(context.Background(), decision.Request{SessionID: sessionID, Context: ctx, RawContext: rawCtx,
		Now: at, LenientContext: true})
	if err != nil {
		panic(fmt.Sprintf("decide %s: %v", sessionID, err))
	}
	t := res.Trace()
	t.KeyID, t.Report, t.Timings = "key-test", raw, audit.Timings{}
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
