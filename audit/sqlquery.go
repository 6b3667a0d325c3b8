package audit

import "github.com/verdicthq/verdict/engine"

// PageQuery builds the SQL of one Query page over the traces table (alias t)
// and the trace_rules side table (alias r), adding its arguments to w. cols
// selects the (body, report) pair as the backend reads it. With a rule filter
// the side table drives the scan, in its own (decided_at, id) order;
// otherwise the traces table does. One row more than f.Limit is asked for,
// to tell whether a next page exists (see CollectPage).
func PageQuery(f Filter, cur *Cursor, cols string, w *Where) string {
	from, timeCol, idCol := `traces t`, `t.decided_at`, `t.id`
	if f.Rule != "" {
		from = `trace_rules r JOIN traces t ON t.id = r.trace_id`
		timeCol, idCol = `r.decided_at`, `r.trace_id`
		w.Add(`r.rule_id = ?`, f.Rule)
	}
	if f.SessionID != "" {
		w.Add(`t.session_id = ?`, f.SessionID)
	}
	if f.UserID != "" {
		w.Add(`t.user_id = ?`, f.UserID)
	}
	if f.Outcome != "" {
		w.Add(`t.outcome = ?`, string(f.Outcome))
		if f.Outcome != engine.Allow {
			// Lets SQLite use its outcome index, which leaves out allow.
			w.Add(`t.outcome <> 'allow'`)
		}
	}
	if f.PolicyVersion != "" {
		w.Add(`t.policy_version = ?`, f.PolicyVersion)
	}
	w.TimeRange(timeCol, f.Since, f.Until)
	if cur != nil {
		w.Add(`(`+timeCol+`, `+idCol+`) < (?, ?)`, w.Time(cur.DecidedAt), cur.ID)
	}
	q := `SELECT ` + cols + ` FROM ` + from + w.SQL()
	return q + ` ORDER BY ` + timeCol + ` DESC, ` + idCol + ` DESC LIMIT ` + w.Arg(f.Limit+1)
}

// CollectPage reads the traces of a PageQuery through scan and cuts them to
// one page of at most limit traces, with the cursor of the next page when
// there is one.
func CollectPage(limit int, scan func(fn func(*Trace) error) error) (Page, error) {
	var page Page
	err := scan(func(t *Trace) error {
		page.Traces = append(page.Traces, t)
		return nil
	})
	if err != nil {
		return Page{}, err
	}
	if len(page.Traces) > limit {
		page.Traces = page.Traces[:limit]
		page.NextCursor = EncodeCursor(page.Traces[limit-1])
	}
	if page.Traces == nil {
		page.Traces = []*Trace{}
	}
	return page, nil
}
