// Package lists keeps block and allow lists for decisions: an in-memory
// snapshot of every list (Memory), kept in step with the decision log's
// list tables by polling their change sequence, the service behind the list
// routes and `verdict lists` (Service), and the list history replay reads
// past memberships from (History).
//
// The decision log is the one truth: Memory is a cache of it that can
// always be rebuilt, and a list's file (for lists declared with file:) is
// versioned with the rules.
package lists

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// never is the expiry of an item that does not expire.
const never = math.MaxInt64

// Memory is the in-memory snapshot of every list: the decision log's items
// and the file-backed lists' files. Membership checks take a read lock and
// allocate nothing; it is safe for concurrent use.
type Memory struct {
	mu    sync.RWMutex
	lists map[string]*list
	seq   int64 // the last change of the log applied

	syncMu sync.Mutex // one Sync at a time, so changes apply in order
}

// list is one list's items: every value as a string, and those that are IP
// ranges (or addresses, as /32 and /128) also as prefixes.
type list struct {
	file bool             // loaded from a file: the log's changes do not apply
	strs map[string]int64 // value -> expiry, unix microseconds (never: none)
	nets map[netip.Prefix]int64
	bits [129]int32 // how many prefixes of each length (IPv4 lengths offset by 0, IPv6 share it)
	lens []int      // the lengths present, longest first
	v4   bool       // some prefix is IPv4
	v6   bool       // some prefix is IPv6
}

func newList() *list { return newListSized(0) }

// newListSized is newList with room for n values.
func newListSized(n int) *list {
	return &list{strs: make(map[string]int64, n), nets: map[netip.Prefix]int64{}}
}

// NewMemory returns an empty snapshot.
func NewMemory() *Memory {
	return &Memory{lists: map[string]*list{}}
}

// Load reads every present item of the log into the snapshot, replacing
// what it held of the log (file-backed lists stay), and remembers the
// log's change sequence, from which Sync goes on.
func (m *Memory) Load(ctx context.Context, s audit.ListStore) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	seq, err := s.ListSeq(ctx)
	if err != nil {
		return fmt.Errorf("load lists: %w", err)
	}
	// Each list's map is made at its size: growing a map of a million
	// values rehashes it twenty times over.
	sizes, err := s.ListSizes(ctx)
	if err != nil {
		return fmt.Errorf("load lists: %w", err)
	}
	fresh, err := loadItems(ctx, s, sizes)
	if err != nil {
		return fmt.Errorf("load lists: %w", err)
	}
	m.mu.Lock()
	for name, l := range m.lists {
		if l.file {
			fresh[name] = l
		}
	}
	m.lists, m.seq = fresh, seq
	m.mu.Unlock()
	// Changes committed while the items were read apply again, in order:
	// applying a change twice leaves what applying it once does.
	return m.syncLocked(ctx, s)
}

// loadBatch is how many items the reader hands the builder at once.
const loadBatch = 4096

// pending is an item read and not yet put.
type pending struct {
	l     *list
	value string
	exp   int64
}

// loadItems reads every present item of the log into fresh lists, sized
// by sizes. Reading the rows and putting the values into the maps take
// about as long as each other, so they run on two goroutines: the reader
// hands batches, in order, to one builder.
func loadItems(ctx context.Context, s audit.ListStore, sizes map[string]int) (map[string]*list, error) {
	fresh := map[string]*list{}
	batches := make(chan []pending, 4)
	built := make(chan struct{})
	go func() {
		defer close(built)
		for b := range batches {
			for _, p := range b {
				p.l.put(p.value, p.exp)
			}
		}
	}()
	var cur *list
	curName := ""
	batch := make([]pending, 0, loadBatch)
	err := s.ListItems(ctx, audit.ListQuery{Lean: true}, func(it audit.ListItem) error {
		if cur == nil || it.List != curName {
			if cur = fresh[it.List]; cur == nil {
				cur = newListSized(sizes[it.List])
				fresh[it.List] = cur
			}
			curName = it.List
		}
		batch = append(batch, pending{cur, it.Value, expiryMicros(it.ExpiresAt)})
		if len(batch) == loadBatch {
			batches <- batch
			batch = make([]pending, 0, loadBatch)
		}
		return nil
	})
	if len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	<-built
	if err != nil {
		return nil, err
	}
	return fresh, nil
}

// Sync applies the log's changes recorded since the last Load or Sync, in
// order, all at once: a decision sees all of them or none. The list routes
// call it before answering (so the next decision sees the change), and a
// poller calls it every few hundred milliseconds (so a change another
// replica, or `verdict lists import`, made shows within a second).
func (m *Memory) Sync(ctx context.Context, s audit.ListStore) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	return m.syncLocked(ctx, s)
}

func (m *Memory) syncLocked(ctx context.Context, s audit.ListStore) error {
	m.mu.RLock()
	after := m.seq
	m.mu.RUnlock()
	var changes []audit.ListChange
	if err := s.ListChanges(ctx, after, func(c audit.ListChange) error {
		changes = append(changes, c)
		return nil
	}); err != nil {
		return fmt.Errorf("sync lists: %w", err)
	}
	if len(changes) == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range changes {
		m.applyLocked(c)
	}
	m.seq = changes[len(changes)-1].Seq
	return nil
}

// Seq is the last change of the log the snapshot holds.
func (m *Memory) Seq() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.seq
}

// Poll calls Sync every interval until ctx ends; report, when not nil, gets
// each failure (the snapshot keeps what it has and the next poll retries).
func (m *Memory) Poll(ctx context.Context, s audit.ListStore, every time.Duration, report func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.Sync(ctx, s); err != nil && ctx.Err() == nil && report != nil {
				report(err)
			}
		}
	}
}

func (m *Memory) applyLocked(c audit.ListChange) {
	l := m.lists[c.List]
	if l != nil && l.file {
		return
	}
	switch c.Action {
	case audit.ListAdd, audit.ListUpdate:
		if l == nil {
			l = newList()
			m.lists[c.List] = l
		}
		l.put(c.Value, expiryMicros(c.ExpiresAt))
	case audit.ListRemove:
		if l != nil {
			l.remove(c.Value)
		}
	}
}

// SetFile replaces a file-backed list's items with values (none expire);
// the log's changes never apply to it. Values are checked as the list
// routes check them (see Canonical) by the caller.
func (m *Memory) SetFile(name string, values []string) {
	l := newList()
	l.file = true
	for _, v := range values {
		l.put(v, never)
	}
	m.mu.Lock()
	m.lists[name] = l
	m.mu.Unlock()
}

// DropFile forgets a file-backed list (no policy declares it with a file
// any more); the log's items of that name are read again at the next Load.
func (m *Memory) DropFile(name string) {
	m.mu.Lock()
	if l := m.lists[name]; l != nil && l.file {
		delete(m.lists, name)
	}
	m.mu.Unlock()
}

// Len returns how many items a list holds that are present at t.
func (m *Memory) Len(name string, t time.Time) int {
	at := t.UnixMicro()
	m.mu.RLock()
	defer m.mu.RUnlock()
	l := m.lists[name]
	if l == nil {
		return 0
	}
	n := 0
	for _, exp := range l.strs {
		if exp > at {
			n++
		}
	}
	return n
}

// At returns the view of the lists as of a decision's time: an item that
// expires at or before t is absent. It implements the engine's list
// lookups.
func (m *Memory) At(t time.Time) *View {
	return &View{m: m, at: t.UnixMicro()}
}

// View is the lists as one decision reads them (see Memory.At).
type View struct {
	m  *Memory
	at int64
}

// Contains reports whether value is in the list, as of the view's time.
func (v *View) Contains(name, value string) bool {
	v.m.mu.RLock()
	defer v.m.mu.RUnlock()
	l := v.m.lists[name]
	if l == nil {
		return false
	}
	exp, ok := l.strs[value]
	return ok && exp > v.at
}

// ContainsIP reports whether an IP range of the list holds ip, as of the
// view's time. An IPv4-mapped IPv6 address is looked up as IPv4.
func (v *View) ContainsIP(name string, ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	v.m.mu.RLock()
	defer v.m.mu.RUnlock()
	l := v.m.lists[name]
	if l == nil {
		return false
	}
	return l.containsIP(ip, v.at)
}

func (l *list) containsIP(ip netip.Addr, at int64) bool {
	if ip.Is4() && !l.v4 || ip.Is6() && !l.v6 {
		return false
	}
	for _, bits := range l.lens {
		if bits > ip.BitLen() {
			continue
		}
		p, err := ip.Prefix(bits)
		if err != nil {
			continue
		}
		if exp, ok := l.nets[p]; ok && exp > at {
			return true
		}
	}
	return false
}

func (l *list) put(value string, exp int64) {
	l.strs[value] = exp
	p, ok := parseRange(value)
	if !ok {
		return
	}
	if _, had := l.nets[p]; !had {
		l.count(p, 1)
	}
	l.nets[p] = exp
}

func (l *list) remove(value string) {
	if _, ok := l.strs[value]; !ok {
		return
	}
	delete(l.strs, value)
	if p, ok := parseRange(value); ok {
		if _, had := l.nets[p]; had {
			delete(l.nets, p)
			l.count(p, -1)
		}
	}
}

// count keeps the prefix-length census that lookups walk.
func (l *list) count(p netip.Prefix, d int32) {
	b := p.Bits()
	before := l.bits[b]
	l.bits[b] += d
	if p.Addr().Is4() {
		l.v4 = true
	} else {
		l.v6 = true
	}
	if (before == 0) != (l.bits[b] == 0) {
		l.lens = l.lens[:0]
		for i := len(l.bits) - 1; i >= 0; i-- {
			if l.bits[i] > 0 {
				l.lens = append(l.lens, i)
			}
		}
		slices.Sort(l.lens)
		slices.Reverse(l.lens)
	}
}

// parseRange reads an IP range ("10.0.0.0/8") or an address ("192.0.2.7",
// a range of one) in the canonical form Canonical writes.
func parseRange(v string) (netip.Prefix, bool) {
	if len(v) == 0 || len(v) > 64 {
		return netip.Prefix{}, false
	}
	if c := v[0]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':') {
		return netip.Prefix{}, false
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(v); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

func expiryMicros(t time.Time) int64 {
	if t.IsZero() {
		return never
	}
	return t.UnixMicro()
}
