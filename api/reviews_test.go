package api_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// keyAnalyst2 is a second analyst (scope review only); keyAnalyst is in harness_test.go.
const keyAnalyst2 = "analyst2-secret-0123456789"

func init() {
	testKeys += ",analyst2:review:" + keyAnalyst2
}

// fakeClock is an injectable clock that tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// reviewView is the part of a review answer the tests read.
type reviewView struct {
	DecisionID string `json:"decision_id"`
	Status     string `json:"status"`
	ClaimedBy  string `json:"claimed_by"`
	Resolution string `json:"resolution"`
	ResolvedBy string `json:"resolved_by"`
	Rules      []string
	Events     []struct {
		Kind, Actor, Outcome, Note string
	} `json:"events"`
}

func (h *harness) post(key, path, body string) *result {
	h.t.Helper()
	ctype := "application/json"
	if body == "" {
		ctype = ""
	}
	return h.do(req{method: "POST", path: path, key: key, ctype: ctype, body: body})
}

func TestReviewQueue(t *testing.T) {
	for _, b := range logBackends() {
		t.Run(b.name, func(t *testing.T) { testReviewQueue(t, b) })
	}
}

func testReviewQueue(t *testing.T, b logBackend) {
	clock := &fakeClock{now: time.Now().UTC()}
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: b.open(t), clock: clock.Now})
	first := h.decide(`{"session_id":"t-review"}`).decision(t)
	second := h.decide(`{"session_id":"t-review"}`).decision(t)
	allow := h.decide(`{"session_id":"t-allow"}`).decision(t)
	if first.Outcome != "review" || allow.Outcome != "allow" {
		t.Fatalf("outcomes %s, %s", first.Outcome, allow.Outcome)
	}
	reviewPath := "/v1/reviews/" + first.DecisionID

	t.Run("the queue lists the oldest first, for audit and review keys", func(t *testing.T) {
		for _, key := range []string{keyAuditor, keyAnalyst} {
			p := decodeInto[struct{ Reviews []reviewView }](t, h.do(req{method: "GET", path: "/v1/reviews", key: key}))
			if len(p.Reviews) != 2 || p.Reviews[0].DecisionID != first.DecisionID || p.Reviews[1].DecisionID != second.DecisionID ||
				p.Reviews[0].Status != "open" || len(p.Reviews[0].Rules) == 0 {
				t.Fatalf("queue: %+v", p.Reviews)
			}
		}
		if r := h.do(req{method: "GET", path: "/v1/reviews", key: keyCheckout}); r.status != 403 {
			t.Fatalf("decide key read the queue: %d", r.status)
		}
		if r := h.do(req{method: "GET", path: "/v1/reviews?status=closed", key: keyAuditor}); r.status != 400 || r.errorCode(t) != "invalid_query" {
			t.Fatalf("bad status: %d %s", r.status, r.body)
		}
		p := decodeInto[struct {
			Reviews    []reviewView
			NextCursor string `json:"next_cursor"`
		}](t, h.do(req{method: "GET", path: "/v1/reviews?limit=1&rule=medium-risk-score&policy=checkout", key: keyAuditor}))
		if len(p.Reviews) != 1 || p.NextCursor == "" {
			t.Fatalf("first page: %+v", p)
		}
		p2 := decodeInto[struct{ Reviews []reviewView }](t, h.do(req{method: "GET", path: "/v1/reviews?limit=1&cursor=" + p.NextCursor, key: keyAuditor}))
		if len(p2.Reviews) != 1 || p2.Reviews[0].DecisionID != second.DecisionID {
			t.Fatalf("second page: %+v", p2)
		}
	})
	t.Run("not a review, or unknown: 404", func(t *testing.T) {
		for _, path := range []string{"/v1/reviews/" + allow.DecisionID, "/v1/reviews/0193e6a0-0000-7000-8000-000000000000"} {
			if r := h.do(req{method: "GET", path: path, key: keyAuditor}); r.status != 404 || r.errorCode(t) != "not_found" {
				t.Fatalf("GET %s: %d %s", path, r.status, r.body)
			}
			if r := h.post(keyAnalyst, path+"/resolve", `{"outcome":"deny"}`); r.status != 404 {
				t.Fatalf("resolve %s: %d %s", path, r.status, r.body)
			}
		}
	})
	t.Run("claim, lapse, resolve once", func(t *testing.T) {
		if r := h.post(keyAuditor, reviewPath+"/claim", ""); r.status != 403 {
			t.Fatalf("audit key claimed: %d", r.status)
		}
		rv := decodeInto[reviewView](t, h.post(keyAnalyst, reviewPath+"/claim", `{"analyst":"alice"}`))
		if rv.ClaimedBy != "analyst/alice" {
			t.Fatalf("claim: %+v", rv)
		}
		if r := h.post(keyAnalyst2, reviewPath+"/claim", ""); r.status != 409 || r.errorCode(t) != "review_claimed" {
			t.Fatalf("second claim within 30 min: %d %s", r.status, r.body)
		}
		clock.Add(31 * time.Minute)
		if rv := decodeInto[reviewView](t, h.do(req{method: "GET", path: reviewPath, key: keyAuditor})); rv.ClaimedBy != "" {
			t.Fatalf("a lapsed claim is still shown: %+v", rv)
		}
		if rv := decodeInto[reviewView](t, h.post(keyAnalyst2, reviewPath+"/claim", "")); rv.ClaimedBy != "analyst2" {
			t.Fatalf("claim after lapse: %+v", rv)
		}
		if r := h.post(keyAnalyst2, reviewPath+"/resolve", `{"outcome":"review"}`); r.status != 400 {
			t.Fatalf("resolve to review: %d %s", r.status, r.body)
		}
		if r := h.post(keyAnalyst2, reviewPath+"/resolve", `{"outcome":"deny","note":"x","extra":1}`); r.status != 400 || r.errorCode(t) != "unknown_field" {
			t.Fatalf("unknown field: %d %s", r.status, r.body)
		}
		rv = decodeInto[reviewView](t, h.post(keyAnalyst2, reviewPath+"/resolve", `{"outcome":"deny","note":"card testing"}`))
		if rv.Status != "resolved" || rv.Resolution != "deny" || rv.ResolvedBy != "analyst2" {
			t.Fatalf("resolve: %+v", rv)
		}
		if r := h.post(keyAnalyst, reviewPath+"/resolve", `{"outcome":"allow"}`); r.status != 409 || r.errorCode(t) != "review_resolved" {
			t.Fatalf("second resolve: %d %s", r.status, r.body)
		}
	})
	t.Run("the decision shows its review events and label", func(t *testing.T) {
		got := decodeInto[struct {
			Outcome string
			Review  *reviewView
			Labels  []struct{ Label, Reason, By string }
		}](t, h.audit("/v1/decisions/"+first.DecisionID))
		if got.Outcome != "review" || got.Review == nil {
			t.Fatalf("decision without its review: %+v", got)
		}
		var kinds []string
		for _, e := range got.Review.Events {
			kinds = append(kinds, e.Kind+":"+e.Actor)
		}
		if want := "opened:verdict claimed:analyst/alice claimed:analyst2 resolved:analyst2"; strings.Join(kinds, " ") != want {
			t.Fatalf("events %v, want %s", kinds, want)
		}
		if len(got.Labels) != 1 || got.Labels[0].Label != "fraud" || got.Labels[0].Reason != "manual_review" || got.Labels[0].By != "analyst2" {
			t.Fatalf("labels: %+v", got.Labels)
		}
		if plain := decodeInto[struct{ Review *reviewView }](t, h.audit("/v1/decisions/"+allow.DecisionID)); plain.Review != nil {
			t.Fatalf("an allow decision shows a review")
		}
	})
	t.Run("metrics", func(t *testing.T) {
		clock.Add(time.Hour)
		m := string(h.do(req{method: "GET", path: "/metrics"}).body)
		if !strings.Contains(m, "\nverdict_reviews_open 1\n") {
			t.Fatalf("open reviews not 1:\n%s", grepLines(m, "verdict_review"))
		}
		age := regexp.MustCompile(`\nverdict_review_oldest_open_age_seconds (\S+)\n`).FindStringSubmatch(m)
		if age == nil {
			t.Fatalf("no oldest age:\n%s", grepLines(m, "verdict_review"))
		}
		if v, _ := strconv.ParseFloat(age[1], 64); v < 5400 { // the clock moved 31 min + 1 h
			t.Fatalf("oldest open age %s s, want at least 5400", age[1])
		}
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestLabelsAPI(t *testing.T) {
	for _, b := range logBackends() {
		t.Run(b.name, func(t *testing.T) { testLabelsAPI(t, b) })
	}
}

func testLabelsAPI(t *testing.T, b logBackend) {
	// A generous request timeout: a batch of 1,000 labels is checked for
	// what it stores, not for how fast a loaded machine stores it.
	h := newHarness(t, harnessOpts{rules: "testdata/rules", reports: "testdata/reports", log: b.open(t), reqTimeout: time.Minute})
	deny := h.decide(`{"session_id":"t-deny"}`).decision(t)
	label := fmt.Sprintf(`{"decision_id":%q,"label":"fraud","reason":"chargeback","occurred_at":"2026-11-20T10:00:00Z"}`, deny.DecisionID)
	cases := []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"one label", keyAnalyst, label, 201, ""},
		{"the same again is one label", keyAnalyst, label, 200, ""},
		{"unknown decision", keyAnalyst, `{"decision_id":"0193e6a0-0000-7000-8000-000000000000","label":"fraud"}`, 404, "not_found"},
		{"unknown session", keyAnalyst, `{"session_id":"nobody","label":"fraud"}`, 404, "not_found"},
		{"not a label value", keyAnalyst, fmt.Sprintf(`{"decision_id":%q,"label":"stolen"}`, deny.DecisionID), 400, "invalid_field"},
		{"two targets", keyAnalyst, fmt.Sprintf(`{"decision_id":%q,"session_id":"t-deny","label":"fraud"}`, deny.DecisionID), 400, "invalid_field"},
		{"no target", keyAnalyst, `{"label":"fraud"}`, 400, "invalid_field"},
		{"label and labels", keyAnalyst, `{"label":"fraud","labels":[]}`, 400, "invalid_field"},
		{"empty batch", keyAnalyst, `{"labels":[]}`, 400, "invalid_field"},
		{"bad time", keyAnalyst, `{"session_id":"t-deny","label":"fraud","occurred_at":"yesterday"}`, 400, "invalid_field"},
		{"unknown field", keyAnalyst, `{"session_id":"t-deny","label":"fraud","amount":3}`, 400, "unknown_field"},
		{"audit key", keyAuditor, label, 403, "forbidden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.post(c.key, "/v1/labels", c.body)
			if r.status != c.status || (c.code != "" && r.errorCode(t) != c.code) {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, c.status, c.code)
			}
		})
	}
	t.Run("a batch keeps the good ones", func(t *testing.T) {
		body := fmt.Sprintf(`{"labels":[{"decision_id":"0193e6a0-0000-7000-8000-000000000000","label":"fraud"},
			{"session_id":"t-deny","label":"legitimate","reason":"customer_report"},
			{"decision_id":%q,"label":"fraud","reason":"chargeback","occurred_at":"2026-11-20T10:00:00Z"},
			{"user_id":"","label":"fraud"}]}`, deny.DecisionID)
		got := decodeInto[struct {
			Results []struct {
				Status string
				Error  *struct{ Code string }
			}
			Created, Duplicates, Errors int
		}](t, h.post(keyAnalyst, "/v1/labels", body))
		var st []string
		for _, r := range got.Results {
			s := r.Status
			if r.Error != nil {
				s += ":" + r.Error.Code
			}
			st = append(st, s)
		}
		// Each target keeps its own current label: the decision's chargeback
		// repeats it (a duplicate) though the session's label came between.
		if want := "error:not_found created duplicate error:invalid_field"; strings.Join(st, " ") != want || got.Created != 1 || got.Duplicates != 1 || got.Errors != 2 {
			t.Fatalf("results %v (%+v), want %s", st, got, want)
		}
	})
	t.Run("a thousand in one call, not one more", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"labels":[`)
		for i := range 1000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"decision_id":%q,"label":%q,"reason":"r%d"}`, deny.DecisionID, []string{"fraud", "legitimate"}[i%2], i)
		}
		thousand := b.String() + `]}`
		got := decodeInto[struct{ Created int }](t, h.post(keyAnalyst, "/v1/labels", thousand))
		if got.Created != 1000 {
			t.Fatalf("created %d of 1000", got.Created)
		}
		more := strings.TrimSuffix(thousand, `]}`) + `,{"session_id":"t-deny","label":"fraud"}]}`
		if r := h.post(keyAnalyst, "/v1/labels", more); r.status != 400 {
			t.Fatalf("1001 labels: %d %s", r.status, r.body)
		}
	})
}
