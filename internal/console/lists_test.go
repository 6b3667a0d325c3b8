package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestListsAddSearchRemoveHistory(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.mustSignIn(keyAnalyst)
	p := b.get("/console/lists")
	if p.status != http.StatusOK || !strings.Contains(p.body, `<a href="/console/lists/blocked_users">blocked_users</a>`) || !strings.Contains(p.body, "Users the fraud team blocked") {
		t.Fatalf("lists page: %d\n%s", p.status, p.body)
	}
	p = b.get("/console/lists/blocked_users")
	if !strings.Contains(p.body, "The list is empty.") {
		t.Errorf("new list not empty")
	}
	tok := p.csrf(t)
	// Before: user-t-allow is allowed.
	if id := h.decide("t-allow", ""); !strings.Contains(b.get("/console/decisions/"+id).body, `Outcome: <span class="outcome allow">`) {
		t.Fatal("t-allow not allowed before the list")
	}
	cases := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no token", url.Values{"value": {"x"}}, http.StatusForbidden, ""},
		{"empty value", url.Values{"csrf": {tok}, "value": {""}}, http.StatusBadRequest, "empty list value"},
		{"bad ttl", url.Values{"csrf": {tok}, "value": {"u-1"}, "ttl": {"forever"}}, http.StatusBadRequest, "ttl &#34;forever&#34;"},
		{"ttl past ten years", url.Values{"csrf": {tok}, "value": {"u-1"}, "ttl": {"4000d"}}, http.StatusBadRequest, "up to 10 years"},
		{"value too long", url.Values{"csrf": {tok}, "value": {strings.Repeat("v", 1025)}}, http.StatusBadRequest, "over the limit of 1024"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post("/console/lists/blocked_users/items", tc.form)
			if p.status != tc.status || !strings.Contains(p.body, tc.want) {
				t.Errorf("%d, want %d with %q", p.status, tc.status, tc.want)
			}
		})
	}
	add := func(value, ttl, comment, done string) {
		t.Helper()
		p := b.post("/console/lists/blocked_users/items", url.Values{"csrf": {tok}, "value": {value}, "ttl": {ttl}, "comment": {comment}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/lists/blocked_users?done="+done {
			t.Fatalf("add %s: %d %q\n%s", value, p.status, p.header.Get("Location"), p.body)
		}
	}
	add("user-t-allow", "30d", "chargeback ring, case 4411", "added")
	add("user-other", "", "", "added")
	add("user-t-allow", "", "chargeback ring, case 4411 (kept)", "updated")

	// At once, decisions see it.
	if id := h.decide("t-allow", ""); !strings.Contains(b.get("/console/decisions/"+id).body, "<code>blocked-user</code>") {
		t.Errorf("a decision right after the add does not fire blocked-user")
	}
	p = b.get("/console/lists/blocked_users?done=added")
	for _, want := range []string{"Added. Decisions from now on see it.", "<td><code>user-t-allow</code></td><td>chargeback ring, case 4411 (kept)</td><td>never</td>",
		"<td><code>user-other</code></td>", "<td>update</td><td><code>user-t-allow</code></td>", "by analyst"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("list page lacks %q", want)
		}
	}
	// Search by value or comment.
	p = b.get("/console/lists/blocked_users?q=RING")
	if !strings.Contains(p.body, `name="value" value="user-t-allow"`) || strings.Contains(p.body, `name="value" value="user-other"`) {
		t.Errorf("search for ring: wrong items")
	}
	// Remove.
	if p := b.post("/console/lists/blocked_users/items/remove", url.Values{"csrf": {tok}, "value": {"user-t-allow"}}); p.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", p.status)
	}
	if p := b.post("/console/lists/blocked_users/items/remove", url.Values{"csrf": {tok}, "value": {"user-t-allow"}}); p.status != http.StatusNotFound || !strings.Contains(p.body, "does not hold this value") {
		t.Errorf("remove twice: %d", p.status)
	}
	if id := h.decide("t-allow", ""); strings.Contains(b.get("/console/decisions/"+id).body, "<code>blocked-user</code>") {
		t.Errorf("a decision after the removal still fires blocked-user")
	}
	p = b.get("/console/lists/blocked_users")
	if strings.Contains(p.body, "<td><code>user-t-allow</code></td><td>chargeback") || !strings.Contains(p.body, "<td>remove</td><td><code>user-t-allow</code></td>") {
		t.Errorf("after removal: item still listed, or the history lacks the removal")
	}
	if p := b.get("/console/lists/nope"); p.status != http.StatusNotFound {
		t.Errorf("undeclared list: %d", p.status)
	}
	// An audit key reads, but has no forms and cannot write.
	aud := h.browser()
	aud.mustSignIn(keyAuditor)
	p = aud.get("/console/lists/blocked_users")
	if p.status != http.StatusOK || strings.Contains(p.body, `action="/console/lists/blocked_users/items"`) {
		t.Errorf("audit key's list page: %d, add form shown: %v", p.status, strings.Contains(p.body, `action="/console/lists/blocked_users/items"`))
	}
	if p := aud.post("/console/lists/blocked_users/items", url.Values{"csrf": {p.csrf(t)}, "value": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("audit key adds: %d, want 403", p.status)
	}
}
