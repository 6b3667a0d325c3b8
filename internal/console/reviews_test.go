package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var reviewLink = regexp.MustCompile(`<td><a href="/console/reviews/([0-9a-f-]{36})">`)

func reviewLinks(body string) []string {
	var out []string
	for _, m := range reviewLink.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestReviewQueueClaimAndResolve(t *testing.T) {
	h := newHarness(t)
	first := h.decide("t-review", "")
	second := h.decide("t-vpn", `{"amount": 900}`)
	third := h.decide("t-review", "")
	h.decide("t-deny", "") // no review

	an := h.browser()
	an.mustSignIn(keyAnalyst)
	q := an.get("/console/reviews")
	if got := reviewLinks(q.body); strings.Join(got, ",") != strings.Join([]string{first, second, third}, ",") {
		t.Fatalf("queue %v, want the three reviews oldest first %v", got, []string{first, second, third})
	}
	if !strings.Contains(q.body, "Open reviews, oldest first") {
		t.Errorf("queue heading missing")
	}

	p := an.get("/console/reviews/" + first)
	for _, want := range []string{`data-key="c"`, `data-key="a"`, `data-key="d"`, `<a href="/console/reviews/` + second + `" data-key="n" rel="next">`, "medium-risk-score"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("review page lacks %q", want)
		}
	}
	tok := p.csrf(t)
	if r := an.post("/console/reviews/"+first+"/claim", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("claim without the CSRF token: %d, want 403", r.status)
	}
	r := an.post("/console/reviews/"+first+"/claim", url.Values{"csrf": {tok}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/reviews/"+first+"?done=claimed" {
		t.Fatalf("claim: %d %q", r.status, r.header.Get("Location"))
	}
	if p := an.get(r.header.Get("Location")); !strings.Contains(p.body, "You hold this review") || !strings.Contains(p.body, "<dt>Claimed by</dt><dd>analyst") {
		t.Errorf("after the claim the page does not say so")
	}

	// Another analyst cannot resolve it while the claim holds.
	other := h.browser()
	other.mustSignIn(keyOther)
	otok := other.get("/console/reviews/" + first).csrf(t)
	if r := other.post("/console/reviews/"+first+"/resolve", url.Values{"csrf": {otok}, "outcome": {"allow"}}); r.status != http.StatusConflict || !strings.Contains(r.body, "Another analyst holds this review") {
		t.Errorf("resolve under another's claim: %d", r.status)
	}

	cases := []struct {
		name    string
		form    url.Values
		status  int
		message string
	}{
		{"no outcome", url.Values{"csrf": {tok}}, http.StatusBadRequest, "Resolve with allow or deny."},
		{"review is not an answer", url.Values{"csrf": {tok}, "outcome": {"review"}}, http.StatusBadRequest, "Resolve with allow or deny."},
		{"note too long", url.Values{"csrf": {tok}, "outcome": {"deny"}, "note": {strings.Repeat("x", 4097)}}, http.StatusBadRequest, "longer than 4,096 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := an.post("/console/reviews/"+first+"/resolve", tc.form)
			if r.status != tc.status || !strings.Contains(r.body, tc.message) {
				t.Errorf("%d, want %d with %q", r.status, tc.status, tc.message)
			}
		})
	}

	// Resolve with a note: on to the next open review.
	r = an.post("/console/reviews/"+first+"/resolve", url.Values{"csrf": {tok}, "outcome": {"deny"}, "note": {"card tested <b>twice</b>"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/reviews/"+second+"?done=resolved" {
		t.Fatalf("resolve: %d %q", r.status, r.header.Get("Location"))
	}
	p = an.get("/console/reviews/" + first)
	for _, want := range []string{`Resolved: <span class="outcome deny">deny</span>`, "resolved by analyst", "card tested &lt;b&gt;twice&lt;/b&gt;"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("resolved review lacks %q", want)
		}
	}
	if strings.Contains(p.body, `data-key="a"`) {
		t.Errorf("a resolved review still offers to resolve")
	}
	if r := an.post("/console/reviews/"+first+"/resolve", url.Values{"csrf": {tok}, "outcome": {"allow"}}); r.status != http.StatusConflict {
		t.Errorf("resolve twice: %d, want 409", r.status)
	}
	// The decision page shows the review and the label it wrote.
	d := an.get("/console/decisions/" + first)
	for _, want := range []string{`Review: <a href="/console/reviews/` + first + `">resolved</a>`, "<td><strong>fraud</strong></td>"} {
		if !strings.Contains(d.body, want) {
			t.Errorf("decision page lacks %q", want)
		}
	}
	if got := reviewLinks(an.get("/console/reviews").body); strings.Join(got, ",") != second+","+third {
		t.Errorf("open queue after resolving %v", got)
	}
	if got := reviewLinks(an.get("/console/reviews?status=resolved").body); strings.Join(got, ",") != first {
		t.Errorf("resolved queue %v", got)
	}
	if p := an.get("/console/reviews?status=closed"); p.status != http.StatusBadRequest {
		t.Errorf("bad status filter: %d", p.status)
	}
	if p := an.get("/console/reviews/" + h.decide("t-allow", "")); p.status != http.StatusNotFound {
		t.Errorf("a decision without a review: %d", p.status)
	}
}

func TestReviewScopes(t *testing.T) {
	h := newHarness(t)
	id := h.decide("t-review", "")
	aud := h.browser()
	aud.mustSignIn(keyAuditor)
	p := aud.get("/console/reviews/" + id)
	if p.status != http.StatusOK || strings.Contains(p.body, `data-key="a"`) || !strings.Contains(p.body, "resolving needs the review scope") {
		t.Errorf("an audit key's review page: %d, offers to resolve: %v", p.status, strings.Contains(p.body, `data-key="a"`))
	}
	tok := p.csrf(t)
	if r := aud.post("/console/reviews/"+id+"/claim", url.Values{"csrf": {tok}}); r.status != http.StatusForbidden {
		t.Errorf("audit key claims: %d, want 403", r.status)
	}
	// A review-only key lands on the queue and has no decisions page.
	rev := h.browser()
	if p := rev.signIn(keyOther); p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", p.status)
	}
	if p := rev.get("/console/"); p.header.Get("Location") != "/console/reviews" {
		t.Errorf("review key's home: %q", p.header.Get("Location"))
	}
	if p := rev.get("/console/decisions"); p.status != http.StatusForbidden {
		t.Errorf("review key opens decisions: %d", p.status)
	}
}
