package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRulePerformancePage(t *testing.T) {
	h := newHarness(t)
	rev := h.decide("t-review", "")
	h.decide("t-review", "")
	h.decide("t-deny", "")
	b := h.browser()
	b.mustSignIn(keyAnalyst)
	tok := b.get("/console/reviews/" + rev).csrf(t)
	if r := b.post("/console/reviews/"+rev+"/resolve", url.Values{"csrf": {tok}, "outcome": {"deny"}}); r.status != http.StatusSeeOther {
		t.Fatalf("resolve: %d", r.status)
	}
	p := b.get("/console/performance")
	if p.status != http.StatusOK {
		t.Fatalf("performance: %d\n%s", p.status, p.body)
	}
	for _, want := range []string{
		"3 decisions in the window; 1 labels read.",
		// medium-risk-score fired twice, once on the decision labelled fraud: precision 100%, recall 100%.
		`<td>checkout</td><td><a href="/console/decisions?rule=medium-risk-score"><code>medium-risk-score</code></a></td><td>2</td><td>1</td><td>0</td><td>100.0%</td><td>100.0%</td>`,
		`<td>checkout</td><td><a href="/console/decisions?rule=high-risk-score"><code>high-risk-score</code></a></td><td>1</td><td>0</td><td>0</td><td>—</td><td>0.0%</td>`,
		`<svg class="chart"`, `<polyline class="series" points="`, "<title>checkout/medium-risk-score: 2 fires</title>",
		"<caption>checkout: 3 decisions, 1 labelled fraud, 0 legitimate</caption>",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("performance page lacks %q", want)
		}
	}
	for _, tc := range []struct{ query, want string }{
		{"?since=yesterday", "since:"},
		{"?since=1h&until=2h", "since must be before until"},
		{"?policy=%zz", "could not be read"},
	} {
		if p := b.get("/console/performance" + tc.query); p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.want) {
			t.Errorf("%s: %d, want 400 with %q", tc.query, p.status, tc.want)
		}
	}
	other := h.browser()
	other.mustSignIn(keyOther)
	if p := other.get("/console/performance"); p.status != http.StatusForbidden {
		t.Errorf("review-only key: %d, want 403", p.status)
	}
}
