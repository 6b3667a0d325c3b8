package api_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/lists"
)

var testListDecls = map[string]lists.Decl{
	"blocked_users": {Name: "blocked_users", Kind: lists.KindStrings, Description: "Users the risk team blocked"},
	"bad_networks":  {Name: "bad_networks", Kind: lists.KindCIDR},
	"vip_users":     {Name: "vip_users", Kind: lists.KindStrings, File: "lists/vip_users.txt"},
}

// newListHarness is a server with a real SQLite decision log and its lists.
func newListHarness(t *testing.T) (*harness, *lists.Service, audit.Store) {
	t.Helper()
	store := audittest.MustOpen(t, filepath.Join(t.TempDir(), "d.db"), audit.Options{})
	ls := store.(audit.ListStore)
	mem := lists.NewMemory()
	if err := mem.Load(context.Background(), ls); err != nil {
		t.Fatal(err)
	}
	mem.SetFile("vip_users", []string{"u-vip"})
	svc := &lists.Service{Store: ls, Memory: mem, Declared: func() map[string]lists.Decl { return testListDecls }}
	h := newHarness(t, harnessOpts{log: store, lists: svc})
	return h, svc, store
}

func TestListRoutes(t *testing.T) {
	h, svc, _ := newListHarness(t)
	post := func(list, body string) *result {
		t.Helper()
		return h.do(req{method: "POST", path: "/v1/lists/" + list + "/items", key: keyAnalyst, ctype: "application/json", body: body})
	}
	cases := []struct {
		name       string
		r          req
		wantStatus int
		wantCode   string
		wantBody   string // a substring of the answer
	}{
		{"add", req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"u-1","comment":"chargeback","ttl":"720h"}`}, 201, "", `"key_id":"analyst"`},
		{"update", req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"u-1","comment":"second"}`}, 200, "", `"comment":"second"`},
		{"cidr with host bits", req{method: "POST", path: "/v1/lists/bad_networks/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"10.9.8.7/8","expires_at":"` + time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339) + `"}`}, 201, "", `"value":"10.0.0.0/8"`},
		{"read items", req{method: "GET", path: "/v1/lists/blocked_users/items", key: keyAuditor}, 200, "", `"value":"u-1"`},
		{"read lists", req{method: "GET", path: "/v1/lists", key: keyAuditor}, 200, "", `"name":"vip_users","kind":"strings","file":"lists/vip_users.txt"`},
		{"write needs review", req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAuditor, ctype: "application/json", body: `{"value":"u-2"}`}, 403, "forbidden", ""},
		{"read needs audit", req{method: "GET", path: "/v1/lists", key: keyCheckout}, 403, "forbidden", ""},
		{"undeclared list read", req{method: "GET", path: "/v1/lists/nope/items", key: keyAuditor}, 404, "list_not_found", ""},
		{"undeclared list write", req{method: "POST", path: "/v1/lists/nope/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"x"}`}, 404, "list_not_found", ""},
		{"file-backed write", req{method: "POST", path: "/v1/lists/vip_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"x"}`}, 409, "list_read_only", ""},
		{"file-backed delete", req{method: "DELETE", path: "/v1/lists/vip_users/items/u-vip", key: keyAnalyst}, 409, "list_read_only", ""},
		{"value over 1 KiB", req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"` + strings.Repeat("x", 1025) + `"}`}, 400, "invalid_item", ""},
		{"no value", req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"comment":"x"}`}, 400, "invalid_item", ""},
		{"ttl and expires_at", req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"x","ttl":"1h","expires_at":"2099-01-01T00:00:00Z"}`}, 400, "invalid_item", ""},
		{"bad ttl", req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"x","ttl":"-5h"}`}, 400, "invalid_item", ""},
		{"past expires_at", req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"x","expires_at":"2001-01-01T00:00:00Z"}`}, 400, "invalid_item", ""},
		{"not an IP range", req{method: "POST", path: "/v1/lists/bad_networks/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"example.com"}`}, 400, "invalid_item", ""},
		{"unknown field", req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"x","color":"red"}`}, 400, "unknown_field", ""},
		{"bad limit", req{method: "GET", path: "/v1/lists/blocked_users/items?limit=0", key: keyAuditor}, 400, "invalid_query", ""},
		{"delete absent", req{method: "DELETE", path: "/v1/lists/blocked_users/items/ghost", key: keyAnalyst}, 404, "item_not_found", ""},
		{"delete escaped CIDR", req{method: "DELETE", path: "/v1/lists/bad_networks/items/10.0.0.0%2F8", key: keyAnalyst}, 204, "", ""},
		{"delete", req{method: "DELETE", path: "/v1/lists/blocked_users/items/u-1", key: keyAnalyst}, 204, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := h.do(c.r)
			if res.status != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.status, c.wantStatus, res.body)
			}
			if c.wantCode != "" {
				if got := res.errorCode(t); got != c.wantCode {
					t.Errorf("code %q, want %q", got, c.wantCode)
				}
			}
			if !strings.Contains(string(res.body), c.wantBody) {
				t.Errorf("answer lacks %s: %s", c.wantBody, res.body)
			}
		})
	}
	if got := strings.Join(audittest.ListHistory(t, svc.Store, 0), "|"); got != "add blocked_users u-1 analyst chargeback|update blocked_users u-1 analyst second|add bad_networks 10.0.0.0/8 analyst|remove bad_networks 10.0.0.0/8 analyst|remove blocked_users u-1 analyst" {
		t.Errorf("history: %s", got)
	}

	// A value with a slash and a percent sign round-trips through the path.
	if res := post("blocked_users", `{"value":"a/b%41"}`); res.status != 201 {
		t.Fatalf("add a/b%%41: %d %s", res.status, res.body)
	}
	if res := h.do(req{method: "DELETE", path: "/v1/lists/blocked_users/items/a%2Fb%2541", key: keyAnalyst}); res.status != 204 {
		t.Fatalf("delete a/b%%41: %d %s", res.status, res.body)
	}
	if res := post("blocked_users", `{"value":"%41"}`); res.status != 201 {
		t.Fatalf("add %%41: %d %s", res.status, res.body)
	}
	if res := h.do(req{method: "DELETE", path: "/v1/lists/blocked_users/items/%2541", key: keyAnalyst}); res.status != 204 {
		t.Fatalf("delete %%41: %d %s", res.status, res.body)
	}
}

// TestListChangeSeenAtOnce: once POST answers, the snapshot decisions read
// holds the item; once DELETE answers, it does not.
func TestListChangeSeenAtOnce(t *testing.T) {
	h, svc, _ := newListHarness(t)
	for i := 0; i < 20; i++ {
		v := "u-" + strings.Repeat("x", i)
		res := h.do(req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"` + v + `"}`})
		if res.status != 201 || !svc.Memory.At(time.Now()).Contains("blocked_users", v) {
			t.Fatalf("after POST %s answered %d: in the snapshot %v", v, res.status, svc.Memory.At(time.Now()).Contains("blocked_users", v))
		}
		res = h.do(req{method: "DELETE", path: "/v1/lists/blocked_users/items/" + v, key: keyAnalyst})
		if res.status != 204 || svc.Memory.At(time.Now()).Contains("blocked_users", v) {
			t.Fatalf("after DELETE %s answered %d: still in the snapshot", v, res.status)
		}
	}
}

func TestListPages(t *testing.T) {
	h, svc, _ := newListHarness(t)
	items := make([]audit.ListItem, 250)
	for i := range items {
		items[i] = audit.ListItem{Value: "u-" + string(rune('a'+i/26%26)) + string(rune('a'+i%26)) + strings.Repeat("z", i/676), KeyID: "cli"}
	}
	if _, _, err := svc.Import(context.Background(), "blocked_users", items); err != nil {
		t.Fatal(err)
	}
	seen, cursor := 0, ""
	for pages := 0; ; pages++ {
		res := h.do(req{method: "GET", path: "/v1/lists/blocked_users/items?limit=100&cursor=" + cursor, key: keyAuditor})
		var page struct {
			Items      []struct{ Value string }
			NextCursor string `json:"next_cursor"`
		}
		if err := jsonUnmarshal(res.body, &page); err != nil || res.status != 200 {
			t.Fatalf("page %d: %d %v", pages, res.status, err)
		}
		seen += len(page.Items)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
		if pages > 5 {
			t.Fatal("pages do not end")
		}
	}
	if seen != 250 {
		t.Errorf("read %d items over the pages, want 250", seen)
	}
}

// TestListWriteLogDown: a write while the decision log cannot be reached is
// a 503, and nothing is written.
func TestListWriteLogDown(t *testing.T) {
	h, svc, store := newListHarness(t)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	res := h.do(req{method: "POST", path: "/v1/lists/blocked_users/items", key: keyAnalyst, ctype: "application/json", body: `{"value":"u-1"}`})
	if res.status != http.StatusServiceUnavailable || res.errorCode(t) != "decision_log_unavailable" {
		t.Fatalf("write with the log closed: %d %s", res.status, res.body)
	}
	if svc.Memory.At(time.Now()).Contains("blocked_users", "u-1") {
		t.Error("a refused write reached the snapshot")
	}
}
