package audittest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// RunLists runs the list conformance suite (audit.ListStore) against the
// backend that newURL's URLs select.
func RunLists(t *testing.T, newURL NewURL) {
	t.Run("PutAndHistory", func(t *testing.T) { testListPut(t, newURL) })
	t.Run("Delete", func(t *testing.T) { testListDelete(t, newURL) })
	t.Run("Expiry", func(t *testing.T) { testListExpiry(t, newURL) })
	t.Run("AllOrNone", func(t *testing.T) { testListAllOrNone(t, newURL) })
	t.Run("Pages", func(t *testing.T) { testListPages(t, newURL) })
	t.Run("Reopen", func(t *testing.T) { testListReopen(t, newURL) })
	t.Run("ReadOnly", func(t *testing.T) { testListReadOnly(t, newURL) })
}

// MustListStore opens a store as an audit.ListStore or fails the test.
func MustListStore(t testing.TB, url string, opts audit.Options) audit.ListStore {
	t.Helper()
	s := MustOpen(t, url, opts)
	ls, ok := s.(audit.ListStore)
	if !ok {
		t.Fatalf("%T does not implement audit.ListStore", s)
	}
	return ls
}

// ListValues reads the values present now in a list, in order.
func ListValues(t testing.TB, s audit.ListStore, list string, at time.Time) []string {
	t.Helper()
	var out []string
	if err := s.ListItems(context.Background(), audit.ListQuery{List: list, At: at}, func(it audit.ListItem) error {
		out = append(out, it.Value)
		return nil
	}); err != nil {
		t.Fatalf("list items of %s: %v", list, err)
	}
	return out
}

// ListHistory reads every change after seq as "action list value key comment".
func ListHistory(t testing.TB, s audit.ListStore, after int64) []string {
	t.Helper()
	var out []string
	if err := s.ListChanges(context.Background(), after, func(c audit.ListChange) error {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", c.Action, c.List, c.Value, c.KeyID, c.Comment)))
		return nil
	}); err != nil {
		t.Fatalf("list changes: %v", err)
	}
	return out
}

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func testListPut(t *testing.T, newURL NewURL) {
	s := MustListStore(t, newURL(t), audit.Options{})
	ctx := context.Background()
	n, err := s.PutListItems(ctx, "blocked_users", []audit.ListItem{
		{Value: "u-1", Comment: "chargeback", KeyID: "ana", UpdatedAt: t0},
		{Value: "u-2", KeyID: "ana", UpdatedAt: t0},
	})
	if err != nil || n != 2 {
		t.Fatalf("put two new items: added %d, %v; want 2", n, err)
	}
	n, err = s.PutListItems(ctx, "blocked_users", []audit.ListItem{{Value: "u-1", Comment: "second chargeback", KeyID: "bo", UpdatedAt: t0.Add(time.Minute)}})
	if err != nil || n != 0 {
		t.Fatalf("put a present item again: added %d, %v; want 0 (updated)", n, err)
	}
	if _, err := s.PutListItems(ctx, "vip_users", []audit.ListItem{{Value: "u-1", KeyID: "ana", UpdatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ListValues(t, s, "blocked_users", t0.Add(time.Hour)), ","); got != "u-1,u-2" {
		t.Errorf("blocked_users = %s, want u-1,u-2 (lists are separate)", got)
	}
	var item audit.ListItem
	_ = s.ListItems(ctx, audit.ListQuery{List: "blocked_users", Limit: 1, At: t0.Add(time.Hour)}, func(it audit.ListItem) error { item = it; return nil })
	if item.Comment != "second chargeback" || item.KeyID != "bo" || !item.AddedAt.Equal(t0) || !item.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("updated item = %+v: want the new comment and key, added_at kept, updated_at the update's", item)
	}
	want := "add blocked_users u-1 ana chargeback|add blocked_users u-2 ana|update blocked_users u-1 bo second chargeback|add vip_users u-1 ana"
	if got := strings.Join(ListHistory(t, s, 0), "|"); got != want {
		t.Errorf("history:\n got %s\nwant %s", got, want)
	}
	seq, err := s.ListSeq(ctx)
	if err != nil || seq < 4 {
		t.Fatalf("ListSeq = %d, %v; want at least 4", seq, err)
	}
	if got := ListHistory(t, s, seq-1); len(got) != 1 || got[0] != "add vip_users u-1 ana" {
		t.Errorf("changes after seq-1 = %q, want the last one", got)
	}
	if sizes, err := s.ListSizes(ctx); err != nil || len(sizes) != 2 || sizes["blocked_users"] != 2 || sizes["vip_users"] != 1 {
		t.Errorf("ListSizes = %v, %v; want blocked_users 2, vip_users 1", sizes, err)
	}
}

func testListDelete(t *testing.T, newURL NewURL) {
	s := MustListStore(t, newURL(t), audit.Options{})
	ctx := context.Background()
	if _, err := s.PutListItems(ctx, "blocked_users", []audit.ListItem{{Value: "u-1", KeyID: "ana", UpdatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteListItem(ctx, "blocked_users", "u-1", audit.ListChange{KeyID: "bo", Comment: "cleared", At: t0.Add(time.Hour)}); err != nil {
		t.Fatalf("delete a present item: %v", err)
	}
	if err := s.DeleteListItem(ctx, "blocked_users", "u-1", audit.ListChange{KeyID: "bo", At: t0.Add(2 * time.Hour)}); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("delete it again: %v, want ErrNotFound", err)
	}
	if err := s.DeleteListItem(ctx, "other", "u-1", audit.ListChange{KeyID: "bo"}); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("delete from another list: %v, want ErrNotFound", err)
	}
	if got := ListValues(t, s, "blocked_users", time.Time{}); len(got) != 0 {
		t.Errorf("after delete: %q", got)
	}
	want := "add blocked_users u-1 ana|remove blocked_users u-1 bo cleared"
	if got := strings.Join(ListHistory(t, s, 0), "|"); got != want {
		t.Errorf("history:\n got %s\nwant %s", got, want)
	}
}

func testListExpiry(t *testing.T, newURL NewURL) {
	s := MustListStore(t, newURL(t), audit.Options{})
	ctx := context.Background()
	exp := t0.Add(time.Hour)
	if _, err := s.PutListItems(ctx, "l", []audit.ListItem{{Value: "v", KeyID: "k", UpdatedAt: t0, ExpiresAt: exp}}); err != nil {
		t.Fatal(err)
	}
	if got := ListValues(t, s, "l", exp.Add(-time.Microsecond)); len(got) != 1 {
		t.Errorf("just before expiry: %q, want v", got)
	}
	if got := ListValues(t, s, "l", exp); len(got) != 0 {
		t.Errorf("at expiry: %q, want none", got)
	}
	if err := s.DeleteListItem(ctx, "l", "v", audit.ListChange{KeyID: "k", At: exp}); !errors.Is(err, audit.ErrNotFound) {
		t.Errorf("delete an expired item: %v, want ErrNotFound", err)
	}
	n, err := s.PutListItems(ctx, "l", []audit.ListItem{{Value: "v", KeyID: "k", UpdatedAt: exp.Add(time.Minute)}})
	if err != nil || n != 1 {
		t.Errorf("put an expired item again: added %d, %v; want an add", n, err)
	}
	var c audit.ListChange
	_ = s.ListChanges(ctx, 0, func(ch audit.ListChange) error {
		if c.Seq == 0 {
			c = ch
		}
		return nil
	})
	if !c.ExpiresAt.Equal(exp) || !c.At.Equal(t0) {
		t.Errorf("first change: expires %v at %v, want %v at %v", c.ExpiresAt, c.At, exp, t0)
	}
	if _, err := s.PutListItems(ctx, "l", []audit.ListItem{{Value: "w", KeyID: "k", UpdatedAt: t0, ExpiresAt: t0}}); !errors.Is(err, audit.ErrInvalid) {
		t.Errorf("put an item expiring at its own time: %v, want ErrInvalid", err)
	}
}

func testListAllOrNone(t *testing.T, newURL NewURL) {
	s := MustListStore(t, newURL(t), audit.Options{})
	ctx := context.Background()
	items := []audit.ListItem{{Value: "ok-1", KeyID: "k"}, {Value: strings.Repeat("x", audit.MaxListValue+1), KeyID: "k"}, {Value: "ok-2", KeyID: "k"}}
	if _, err := s.PutListItems(ctx, "l", items); !errors.Is(err, audit.ErrInvalid) {
		t.Fatalf("a batch with a value over %d bytes: %v, want ErrInvalid", audit.MaxListValue, err)
	}
	for _, bad := range []string{"", "a\x00b", "\xff"} {
		if _, err := s.PutListItems(ctx, "l", []audit.ListItem{{Value: bad, KeyID: "k"}}); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("value %q: %v, want ErrInvalid", bad, err)
		}
	}
	if got := ListValues(t, s, "l", time.Time{}); len(got) != 0 {
		t.Errorf("after refused batches: %q, want nothing written", got)
	}
	if got := ListHistory(t, s, 0); len(got) != 0 {
		t.Errorf("history after refused batches: %q", got)
	}
	many := make([]audit.ListItem, 2500) // more than one PostgreSQL batch
	for i := range many {
		many[i] = audit.ListItem{Value: fmt.Sprintf("v%05d", i), KeyID: "cli"}
	}
	many[1200].Value = "v00007" // a repeat within one import is an update
	n, err := s.PutListItems(ctx, "l", many)
	if err != nil || n != 2499 {
		t.Fatalf("import of 2500 with one repeat: added %d, %v; want 2499", n, err)
	}
	if got := len(ListValues(t, s, "l", time.Time{})); got != 2499 {
		t.Errorf("after import: %d items, want 2499", got)
	}
	if got := len(ListHistory(t, s, 0)); got != 2500 {
		t.Errorf("after import: %d changes, want 2500", got)
	}
}

func testListPages(t *testing.T, newURL NewURL) {
	s := MustListStore(t, newURL(t), audit.Options{})
	ctx := context.Background()
	if _, err := s.PutListItems(ctx, "l", []audit.ListItem{{Value: "c", KeyID: "k"}, {Value: "a", KeyID: "k"}, {Value: "b", KeyID: "k"}, {Value: "B", KeyID: "k"}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	_ = s.ListItems(ctx, audit.ListQuery{List: "l", After: "B", Limit: 2}, func(it audit.ListItem) error { got = append(got, it.Value); return nil })
	if strings.Join(got, ",") != "a,b" {
		t.Errorf("after B, limit 2: %q, want a,b (bytewise order)", got)
	}
	lean := map[string]bool{}
	_ = s.ListItems(ctx, audit.ListQuery{Lean: true}, func(it audit.ListItem) error { lean[it.List+"/"+it.Value] = true; return nil })
	if len(lean) != 4 || !lean["l/B"] {
		t.Errorf("lean read: %v, want the 4 items", lean)
	}
}

func testListReopen(t *testing.T, newURL NewURL) {
	url := newURL(t)
	s, err := audit.Open(context.Background(), url, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.(audit.ListStore).PutListItems(context.Background(), "l", []audit.ListItem{{Value: "kept", KeyID: "k"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := MustListStore(t, url, audit.Options{ReadOnly: true})
	if got := ListValues(t, r, "l", time.Time{}); len(got) != 1 || got[0] != "kept" {
		t.Errorf("after reopen: %q", got)
	}
	if got := ListHistory(t, r, 0); len(got) != 1 {
		t.Errorf("history after reopen: %q", got)
	}
}

func testListReadOnly(t *testing.T, newURL NewURL) {
	url := newURL(t)
	MustOpen(t, url, audit.Options{}).Close()
	r := MustListStore(t, url, audit.Options{ReadOnly: true})
	if _, err := r.PutListItems(context.Background(), "l", []audit.ListItem{{Value: "v", KeyID: "k"}}); !errors.Is(err, audit.ErrReadOnly) {
		t.Errorf("put on a read-only store: %v", err)
	}
	if err := r.DeleteListItem(context.Background(), "l", "v", audit.ListChange{}); !errors.Is(err, audit.ErrReadOnly) {
		t.Errorf("delete on a read-only store: %v", err)
	}
}
