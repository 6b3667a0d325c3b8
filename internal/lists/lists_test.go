package lists_test

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	_ "github.com/verdicthq/verdict/audit/postgres"
	_ "github.com/verdicthq/verdict/audit/sqlite"
	"github.com/verdicthq/verdict/internal/audittest"
	"github.com/verdicthq/verdict/internal/lists"
	"github.com/verdicthq/verdict/internal/testwait"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

var decls = map[string]lists.Decl{
	"blocked_users": {Name: "blocked_users", Kind: lists.KindStrings},
	"bad_networks":  {Name: "bad_networks", Kind: lists.KindCIDR},
	"vip_users":     {Name: "vip_users", Kind: lists.KindStrings, File: "lists/vip_users.txt"},
}

func newService(t *testing.T, url string) *lists.Service {
	t.Helper()
	st := audittest.MustListStore(t, url, audit.Options{})
	m := lists.NewMemory()
	if err := m.Load(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return &lists.Service{Store: st, Memory: m, Declared: func() map[string]lists.Decl { return decls }, Now: func() time.Time { return t0 }}
}

func TestMembership(t *testing.T) {
	s := newService(t, filepath.Join(t.TempDir(), "d.db"))
	ctx := context.Background()
	put := func(list, v string, exp time.Time) {
		t.Helper()
		if _, _, err := s.Put(ctx, list, audit.ListItem{Value: v, ExpiresAt: exp, KeyID: "ana"}); err != nil {
			t.Fatalf("put %s %s: %v", list, v, err)
		}
	}
	put("blocked_users", "u-1", time.Time{})
	put("blocked_users", "u-2", t0.Add(time.Hour))
	put("bad_networks", "10.1.2.3/8", time.Time{})
	put("bad_networks", "192.0.2.7", time.Time{})
	put("bad_networks", "2001:db8::/32", time.Time{})
	put("bad_networks", "::ffff:198.51.100.0/120", t0.Add(time.Hour))

	v := s.Memory.At(t0.Add(time.Minute))
	later := s.Memory.At(t0.Add(time.Hour))
	cases := []struct {
		name string
		got  bool
		want bool
	}{
		{"present", v.Contains("blocked_users", "u-1"), true},
		{"absent", v.Contains("blocked_users", "u-3"), false},
		{"other list", v.Contains("bad_networks", "u-1"), false},
		{"undeclared list", v.Contains("nope", "u-1"), false},
		{"before expiry", v.Contains("blocked_users", "u-2"), true},
		{"at expiry", later.Contains("blocked_users", "u-2"), false},
		{"in /8 given with host bits", v.ContainsIP("bad_networks", netip.MustParseAddr("10.200.0.1")), true},
		{"outside /8", v.ContainsIP("bad_networks", netip.MustParseAddr("11.0.0.1")), false},
		{"single address", v.ContainsIP("bad_networks", netip.MustParseAddr("192.0.2.7")), true},
		{"next to it", v.ContainsIP("bad_networks", netip.MustParseAddr("192.0.2.8")), false},
		{"IPv6", v.ContainsIP("bad_networks", netip.MustParseAddr("2001:db8:1::5")), true},
		{"IPv4-mapped range, IPv4 address", v.ContainsIP("bad_networks", netip.MustParseAddr("198.51.100.9")), true},
		{"IPv4-mapped address", v.ContainsIP("bad_networks", netip.MustParseAddr("::ffff:10.0.0.1")), true},
		{"range expired", later.ContainsIP("bad_networks", netip.MustParseAddr("198.51.100.9")), false},
		{"invalid address", v.ContainsIP("bad_networks", netip.Addr{}), false},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if err := s.Delete(ctx, "bad_networks", "10.0.0.0/8", audit.ListChange{KeyID: "ana"}); err != nil {
		t.Fatal(err)
	}
	if s.Memory.At(t0).ContainsIP("bad_networks", netip.MustParseAddr("10.200.0.1")) {
		t.Error("a removed range still matches")
	}
	if got := testing.AllocsPerRun(100, func() {
		v.Contains("blocked_users", "u-1")
		v.ContainsIP("bad_networks", netip.MustParseAddr("2001:db8:1::5"))
	}); got != 0 {
		t.Errorf("membership allocates %v times, want 0", got)
	}
}

func TestServiceRefuses(t *testing.T) {
	s := newService(t, filepath.Join(t.TempDir(), "d.db"))
	ctx := context.Background()
	cases := []struct {
		name, list, value string
		want              error
	}{
		{"undeclared list", "nope", "x", lists.ErrUndeclared},
		{"file-backed list", "vip_users", "x", lists.ErrFileBacked},
		{"value over 1 KiB", "blocked_users", string(make([]byte, 1025)), audit.ErrInvalid},
		{"not an IP range", "bad_networks", "example.com", audit.ErrInvalid},
		{"zoned address", "bad_networks", "fe80::1%eth0", audit.ErrInvalid},
		{"empty value", "blocked_users", "", audit.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := s.Put(ctx, c.list, audit.ListItem{Value: c.value, KeyID: "k"}); !errors.Is(err, c.want) {
				t.Errorf("put: %v, want %v", err, c.want)
			}
		})
	}
	if err := s.Delete(ctx, "blocked_users", "ghost", audit.ListChange{KeyID: "k"}); !errors.Is(err, audit.ErrNotFound) {
		t.Errorf("delete absent: %v", err)
	}
	if got := audittest.ListHistory(t, s.Store, 0); len(got) != 0 {
		t.Errorf("refused writes left history %q", got)
	}
}

// TestReplicas: two servers on one log (a SQLite file, and PostgreSQL when
// configured) see each other's changes by polling, within the poll interval.
func TestReplicas(t *testing.T) {
	urls := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return filepath.Join(t.TempDir(), "d.db") },
	}
	if audittest.PostgresURL() != "" {
		urls["postgres"] = func(t *testing.T) string { return audittest.PostgresSchema(t, audittest.PostgresURL()) }
	}
	for name, newURL := range urls {
		t.Run(name, func(t *testing.T) {
			url := newURL(t)
			a, b := newService(t, url), newService(t, url)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			go func() { defer close(done); b.Memory.Poll(ctx, b.Store, 50*time.Millisecond, nil) }()
			defer func() { cancel(); <-done }()
			if _, _, err := a.Put(context.Background(), "blocked_users", audit.ListItem{Value: "u-9", KeyID: "ana"}); err != nil {
				t.Fatal(err)
			}
			if !a.Memory.At(t0).Contains("blocked_users", "u-9") {
				t.Fatal("the writing replica does not see its change when Put returns")
			}
			testwait.Until(t, "the other replica sees the change", func() bool {
				return b.Memory.At(t0).Contains("blocked_users", "u-9")
			})
			if err := a.Delete(context.Background(), "blocked_users", "u-9", audit.ListChange{KeyID: "ana"}); err != nil {
				t.Fatal(err)
			}
			testwait.Until(t, "the other replica sees the removal", func() bool {
				return !b.Memory.At(t0).Contains("blocked_users", "u-9")
			})
		})
	}
}
