package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/reload"
)

func TestDecisionsSearchIsKeysetPaged(t *testing.T) {
	h := newHarness(t)
	ids := map[string]string{}
	for _, s := range []string{"t-allow", "t-deny", "t-review", "t-deny", "t-vpn"} {
		ids[s] = h.decide(s, `{"amount": 900}`)
	}
	b := h.browser()
	b.mustSignIn(keyAuditor)

	cases := []struct {
		name, query string
		status      int
		want        []string // substrings on the page
		count       int      // decision rows
	}{
		{"all, newest first", "", http.StatusOK, []string{"Latest decisions, newest first"}, 5},
		{"by outcome", "?outcome=deny", http.StatusOK, []string{"Matching decisions", `<option value="deny" selected>`}, 2},
		{"by session", "?session_id=t-review", http.StatusOK, []string{"t-review"}, 1},
		{"by rule", "?rule=automation-tool", http.StatusOK, nil, 2},
		{"empty fields filter nothing", "?session_id=&user_id=&outcome=&rule=", http.StatusOK, nil, 5},
		{"bad outcome", "?outcome=maybe", http.StatusBadRequest, []string{"outcome &#34;maybe&#34; is not allow, review or deny"}, 0},
		{"bad since", "?since=yesterday", http.StatusBadRequest, []string{"since"}, 0},
		{"unknown parameter", "?sesion_id=x", http.StatusBadRequest, []string{"unknown parameter"}, 0},
		{"bad cursor", "?cursor=not-a-cursor!", http.StatusBadRequest, []string{"cursor"}, 0},
		{"broken query encoding", "?session_id=%zz", http.StatusBadRequest, []string{"The search could not be read"}, 0},
		{"no match", "?user_id=nobody", http.StatusOK, []string{"No decision matches."}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := b.get("/console/decisions" + tc.query)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", p.status, tc.status, p.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(p.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if n := len(decisionLinks(p.body)); n != tc.count {
				t.Errorf("%d decisions shown, want %d", n, tc.count)
			}
		})
	}

	// Page by page with limit=2: 2, 2, 1, newest first, each id once, via the cursor.
	var seen []string
	next := "/console/decisions?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		p := b.get(next)
		if p.status != http.StatusOK {
			t.Fatalf("page %d: %d", pages, p.status)
		}
		seen = append(seen, decisionLinks(p.body)...)
		m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(p.body)
		next = ""
		if m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
			if !strings.Contains(next, "cursor=") || !strings.Contains(next, "limit=2") {
				t.Fatalf("next link %q lacks the cursor or the filters", next)
			}
		}
	}
	if len(seen) != 5 || seen[0] != ids["t-vpn"] || seen[4] != ids["t-allow"] {
		t.Errorf("paged ids %v: want 5, newest (t-vpn %s) first, oldest (t-allow %s) last", seen, ids["t-vpn"], ids["t-allow"])
	}
}

var decisionLink = regexp.MustCompile(`<td><a href="/console/decisions/([0-9a-f-]{36})">`)

func decisionLinks(body string) []string {
	var out []string
	for _, m := range decisionLink.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestDecisionPage(t *testing.T) {
	h := newHarness(t)
	id := h.decide("t-deny", `{"amount": 120}`)
	b := h.browser()
	b.mustSignIn(keyAuditor)
	p := b.get("/console/decisions/" + id)
	if p.status != http.StatusOK {
		t.Fatalf("status %d\n%s", p.status, p.body)
	}
	for _, want := range []string{
		`Outcome: <span class="outcome deny">deny</span>`,
		"(rules fired)",
		"<code>high-risk-score</code>", "Score 70 or above", // fired rule and its description
		"<code>automation-tool</code>", "Selenium or Playwright fingerprint",
		`<td><code>risk_score</code></td><td><code>88</code></td>`,                        // a value it read
		`<td><code>device_checks.bot</code></td><td><code>&#34;Detected&#34;</code></td>`, // another
		`<span class="ln">  12</span>   - id: high-risk-score`,                            // its source line in that version
		`<span class="ln">  15</span>     action: deny`,
		`<tr class="detected"><td>device</td><td>bot</td><td><strong>Detected</strong></td></tr>`, // Detected stands out
		"(1 detected)",
		"<dt>Risk score</dt><dd><strong>88</strong>: test report</dd>",
		"shadow-checkout", "would have answered <span class=\"outcome deny\">deny</span>", // the shadow result
		`<a href="/console/decisions/` + id + `/trace.json">Raw trace (JSON)</a>`,
		`&#34;amount&#34;: 120`, // the context
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("decision page lacks %q", want)
		}
	}
	if strings.Contains(p.body, `   - id: medium-risk-score`) {
		t.Errorf("a rule that did not fire has its source shown")
	}

	raw := b.get("/console/decisions/" + id + "/trace.json")
	var tr map[string]any
	if err := json.Unmarshal([]byte(raw.body), &tr); err != nil || tr["id"] != id || raw.header.Get("Content-Type") != "application/json" {
		t.Fatalf("raw trace: %v %v %q", err, tr["id"], raw.header.Get("Content-Type"))
	}
	if rep, ok := tr["report"].(map[string]any); !ok || rep["risk_score"] != 88.0 {
		t.Errorf("raw trace lacks the report: %v", tr["report"])
	}

	for _, path := range []string{"/console/decisions/0190b3a1-0000-7000-8000-000000000000", "/console/decisions/%3Cscript%3E"} {
		if p := b.get(path); p.status != http.StatusNotFound || !strings.Contains(p.body, "There is no decision with this id.") {
			t.Errorf("%s: %d", path, p.status)
		}
	}
}

func TestPoliciesPages(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.mustSignIn(keyAuditor)
	p := b.get("/console/policies")
	ver := h.live.Load().Policy("checkout").Ref().Version
	for _, want := range []string{`<a href="/console/policies/checkout">checkout</a>`, "shadow-checkout", `title="` + ver + `"`, "sessions no other policy matches", "tags checkout-flow"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("policies page lacks %q", want)
		}
	}
	p = b.get("/console/policies/checkout")
	for _, want := range []string{"<code>" + ver + "</code>", `<span class="ln" id="L1">   1</span> # Test policy for the console: the default policy.`,
		`/console/decisions?policy_version=` + ver} {
		if !strings.Contains(p.body, want) {
			t.Errorf("policy page lacks %q", want)
		}
	}
	if p := b.get("/console/policies/nope"); p.status != http.StatusNotFound {
		t.Errorf("unknown policy: %d", p.status)
	}
}

func TestValidateDraftShowsErrorsAtTheirLine(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.mustSignIn(keyAdmin)
	tok := b.get("/console/drafts").csrf(t)
	cases := []struct {
		name, draft string
		status      int
		want        []string
	}{
		{"unknown name", "name: x\ndefault: allow\non_error: review\nrules:\n  - id: r\n    when: device_checks.vnp == \"Detected\"\n    action: deny\n",
			http.StatusUnprocessableEntity, []string{`<a href="#D6">line 6`, `<span class="ln bad" id="D6">   6</span> <mark>    when: device_checks.vnp == &#34;Detected&#34;</mark>`, "unknown_check"}},
		{"not YAML", "name: [\n", http.StatusUnprocessableEntity, []string{"The draft does not load", "(yaml)"}},
		{"CRLF from a browser", "name: x\r\ndefault: allow\r\non_error: review\r\nrules:\r\n  - id: r\r\n    when: risk_score > 90\r\n    action: deny\r\n",
			http.StatusOK, []string{"The draft loads: policy <strong>x</strong>"}},
		{"empty", "", http.StatusUnprocessableEntity, []string{"The draft does not load"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post("/console/drafts/validate", url.Values{"csrf": {tok}, "draft": {tc.draft}, "file": {"../../etc/passwd"}})
			if p.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", p.status, tc.status, p.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(p.body, w) {
					t.Errorf("page lacks %q\n%s", w, p.body)
				}
			}
		})
	}
}

func TestBacktestDraft(t *testing.T) {
	h := newHarness(t)
	var reviewID string
	for _, s := range []string{"t-allow", "t-deny", "t-review", "t-vpn"} {
		id := h.decide(s, "")
		if s == "t-review" {
			reviewID = id
		}
	}
	b := h.browser()
	b.mustSignIn(keyAdmin)
	// The review is resolved deny: a fraud label on that decision.
	rtok := b.get("/console/reviews/" + reviewID).csrf(t)
	if r := b.post("/console/reviews/"+reviewID+"/resolve", url.Values{"csrf": {rtok}, "outcome": {"deny"}}); r.status != http.StatusSeeOther {
		t.Fatalf("resolve: %d", r.status)
	}
	start := b.get("/console/drafts?from=checkout")
	if !strings.Contains(start.body, "name: checkout") {
		t.Fatalf("draft from checkout lacks its source")
	}
	tok := start.csrf(t)
	// The draft denies from a score of 40: the review (score 60) and the allow (if 40+) move to deny.
	draft := "name: checkout\ndefault: allow\non_error: review\nrules:\n  - id: strict-score\n    description: Score 40 or above\n    when: risk_score >= 40\n    action: deny\n"
	p := b.post("/console/drafts/backtest", url.Values{"csrf": {tok}, "draft": {draft}, "since": {"1h"}})
	if p.status != http.StatusOK {
		t.Fatalf("backtest: %d\n%s", p.status, p.body)
	}
	for _, want := range []string{"4 stored decisions read, 4 decided again", "The draft replaced the live policy checkout.",
		"<code>strict-score</code>", "<code>high-risk-score</code>", `<th scope="row">review</th>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("backtest lacks %q\n%s", want, p.body)
		}
	}
	if !regexp.MustCompile(`<th scope="row">review</th><td>0</td><td>0</td><td class="moved">1</td>`).MatchString(p.body) {
		t.Errorf("the matrix does not move the review to deny:\n%s", p.body)
	}
	// Against the labels: the fraud the stored policy sent to review, the draft denies.
	for _, want := range []string{
		`<tr><th scope="row">review</th><td>1</td><td>0</td><td>0</td><td>0</td></tr>`,
		`<tr><th scope="row">deny</th><td>0</td><td>0</td><td>1</td><td>0</td></tr>`,
		"1 labels in the log.",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("label results lack %q", want)
		}
	}
	for _, tc := range []struct{ since, until, want string }{
		{"yesterday", "", "since:"},
		{"1h", "2h", "since must be before until"},
	} {
		p := b.post("/console/drafts/backtest", url.Values{"csrf": {tok}, "draft": {draft}, "since": {tc.since}, "until": {tc.until}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.want) {
			t.Errorf("since %q until %q: %d, want 400 with %q", tc.since, tc.until, p.status, tc.want)
		}
	}
	// A draft that would leave the set without its default is refused with the reason.
	tagged := "name: checkout\nmatch: {tags: [x]}\ndefault: allow\non_error: review\nrules:\n  - id: r\n    when: risk_score > 1\n    action: deny\n"
	if p := b.post("/console/drafts/backtest", url.Values{"csrf": {tok}, "draft": {tagged}, "since": {"1h"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "no live default policy") {
		t.Errorf("draft without the default: %d\n%s", p.status, p.body)
	}
}

// TestDecisionOfAnOldPolicyVersionShowsItsKeptSource: once the policy has
// changed, a decision's rule lines come from the source the decision log
// kept for its version, not from today's file.
func TestDecisionOfAnOldPolicyVersionShowsItsKeptSource(t *testing.T) {
	rules := t.TempDir()
	for _, f := range []string{"checkout.yaml", "shadow-checkout.yaml"} {
		b, err := os.ReadFile("testdata/rules/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rules, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarnessRules(t, rules)
	pl, ok := h.store.(audit.PolicyLog)
	if !ok {
		t.Fatal("the SQLite store keeps no policy sources")
	}
	set := h.live.Load()
	for _, info := range set.Policies() { // as serve keeps them on every reload
		v := audit.PolicyVersion{Version: info.Version, Name: info.Name, File: info.File, Source: set.Policy(info.Name).Source()}
		if err := pl.RecordPolicy(context.Background(), v, audit.Activation{At: time.Now(), Mode: info.Mode, Trigger: "start"}); err != nil {
			t.Fatal(err)
		}
	}
	id := h.decide("t-deny", "")
	oldVersion := set.Policy("checkout").Ref().Version

	// The policy changes: two comment lines on top move every rule down.
	b, _ := os.ReadFile(filepath.Join(rules, "checkout.yaml"))
	if err := os.WriteFile(filepath.Join(rules, "checkout.yaml"), append([]byte("# changed\n# again\n"), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reloader.Reload(context.Background(), reload.TriggerAPI); err != nil {
		t.Fatal(err)
	}
	if h.live.Load().Policy("checkout").Ref().Version == oldVersion {
		t.Fatal("the reload kept the old version")
	}
	br := h.browser()
	br.mustSignIn(keyAuditor)
	p := br.get("/console/decisions/" + id)
	for _, want := range []string{`<span class="ln">  12</span>   - id: high-risk-score`, "from the decision log"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the old decision's page lacks %q", want)
		}
	}
	// A decision of the new version reads the live set's source, two lines down.
	p = br.get("/console/decisions/" + h.decide("t-deny", ""))
	if !strings.Contains(p.body, `<span class="ln">  14</span>   - id: high-risk-score`) {
		t.Errorf("the new decision's page lacks its rule at line 14")
	}
}
