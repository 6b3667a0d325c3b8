package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	_ "github.com/verdicthq/verdict/audit/postgres"
	"github.com/verdicthq/verdict/internal/audittest"
)

// TestPagesOnPostgres runs the console's store-backed flows on the
// PostgreSQL decision log (a fresh schema): search and its cursor, a
// decision, the review queue, a list, rule performance and a backtest.
func TestPagesOnPostgres(t *testing.T) {
	h := newHarnessOn(t, "testdata/rules", audittest.PostgresSchema(t, audittest.RequirePostgres(t)))
	var ids []string
	for _, s := range []string{"t-allow", "t-review", "t-deny"} {
		ids = append(ids, h.decide(s, ""))
	}
	b := h.browser()
	b.mustSignIn(keyAdmin)

	// Newest first, one a page, through the cursor.
	var seen []string
	next := "/console/decisions?limit=1"
	for range 4 {
		p := b.get(next)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", next, p.status)
		}
		seen = append(seen, decisionLinks(p.body)...)
		m := strings.Index(p.body, `" rel="next">`)
		if m < 0 {
			break
		}
		start := strings.LastIndex(p.body[:m], `href="`) + len(`href="`)
		next = strings.ReplaceAll(p.body[start:m], "&amp;", "&")
	}
	if strings.Join(seen, ",") != ids[2]+","+ids[1]+","+ids[0] {
		t.Errorf("paged %v, want %v newest first", seen, ids)
	}
	if p := b.get("/console/decisions/" + ids[2]); !strings.Contains(p.body, `<span class="ln">  12</span>   - id: high-risk-score`) {
		t.Errorf("decision page lacks its rule's source line")
	}
	// The review queue: claim and resolve.
	tok := b.get("/console/reviews/" + ids[1]).csrf(t)
	if r := b.post("/console/reviews/"+ids[1]+"/claim", url.Values{"csrf": {tok}}); r.status != http.StatusSeeOther {
		t.Errorf("claim: %d", r.status)
	}
	if r := b.post("/console/reviews/"+ids[1]+"/resolve", url.Values{"csrf": {tok}, "outcome": {"deny"}, "note": {"pg"}}); r.status != http.StatusSeeOther {
		t.Errorf("resolve: %d", r.status)
	}
	if p := b.get("/console/reviews/" + ids[1]); !strings.Contains(p.body, `Resolved: <span class="outcome deny">deny</span>`) {
		t.Errorf("review not resolved")
	}
	// A list.
	if r := b.post("/console/lists/blocked_users/items", url.Values{"csrf": {tok}, "value": {"user-t-allow"}, "ttl": {"1d"}}); r.status != http.StatusSeeOther {
		t.Errorf("add: %d", r.status)
	}
	if p := b.get("/console/lists/blocked_users"); !strings.Contains(p.body, `name="value" value="user-t-allow"`) {
		t.Errorf("item not listed")
	}
	if r := b.post("/console/lists/blocked_users/items/remove", url.Values{"csrf": {tok}, "value": {"user-t-allow"}}); r.status != http.StatusSeeOther {
		t.Errorf("remove: %d", r.status)
	}
	// Rule performance counts the label.
	if p := b.get("/console/performance"); !strings.Contains(p.body, "3 decisions in the window; 1 labels read.") {
		t.Errorf("performance page: %d", p.status)
	}
	// A backtest.
	draft := "name: checkout\ndefault: allow\non_error: review\nrules:\n  - id: strict\n    when: risk_score >= 40\n    action: deny\n"
	if p := b.post("/console/drafts/backtest", url.Values{"csrf": {tok}, "draft": {draft}, "since": {"1h"}}); p.status != http.StatusOK || !strings.Contains(p.body, "3 stored decisions read, 3 decided again") {
		t.Errorf("backtest: %d", p.status)
	}
}
