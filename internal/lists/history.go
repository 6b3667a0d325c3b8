package lists

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// History is every list change the log keeps, for memberships as of a past
// time: what replay reads for a candidate that asks a list the stored
// decision did not.
type History struct {
	lists map[string]map[string][]audit.ListChange // list -> value -> changes, oldest first
}

// NewHistory returns a history without changes: every list empty.
func NewHistory() *History {
	return &History{lists: map[string]map[string][]audit.ListChange{}}
}

// LoadHistory reads every change of the log's lists.
func LoadHistory(ctx context.Context, s audit.ListStore) (*History, error) {
	h := NewHistory()
	err := s.ListChanges(ctx, 0, func(c audit.ListChange) error {
		vs := h.lists[c.List]
		if vs == nil {
			vs = map[string][]audit.ListChange{}
			h.lists[c.List] = vs
		}
		vs[c.Value] = append(vs[c.Value], c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read list history: %w", err)
	}
	return h, nil
}

// SetFile makes a file-backed list hold values at every time (its file is
// versioned with the rules: replay reads the candidate's).
func (h *History) SetFile(name string, values []string) {
	vs := map[string][]audit.ListChange{}
	for _, v := range values {
		vs[v] = []audit.ListChange{{List: name, Value: v, Action: audit.ListAdd}}
	}
	h.lists[name] = vs
}

// At returns the lists as they were at t: an item added or updated at or
// before t, not removed since, and not expired at t.
func (h *History) At(t time.Time) *PastView { return &PastView{h: h, at: t} }

// PastView is the lists at one past time (see History.At).
type PastView struct {
	h  *History
	at time.Time
}

func (v *PastView) present(cs []audit.ListChange) bool {
	i := sort.Search(len(cs), func(i int) bool { return cs[i].At.After(v.at) })
	if i == 0 {
		return false
	}
	c := cs[i-1]
	return c.Action != audit.ListRemove && (c.ExpiresAt.IsZero() || c.ExpiresAt.After(v.at))
}

// Contains reports whether value was in the list at the view's time.
func (v *PastView) Contains(name, value string) bool {
	return v.present(v.h.lists[name][value])
}

// ContainsIP reports whether a range of the list held ip at the view's time.
func (v *PastView) ContainsIP(name string, ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	for value, cs := range v.h.lists[name] {
		if p, ok := parseRange(value); ok && p.Contains(ip) && v.present(cs) {
			return true
		}
	}
	return false
}
