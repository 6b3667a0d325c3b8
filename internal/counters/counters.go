// Package counters keeps velocity counters for decisions: a view, in
// memory, of the decisions recorded in the decision log. Each counter a
// policy declares (engine.CounterDecl) has a state per definition; every
// recorded decision adds its contribution to each state in O(counters), and
// a decision reads a counter's value for its key over the decisions recorded
// in [now − window, now).
//
// The log is the one truth: states are rebuilt from it at start, backfilled
// from it when a reload defines a new counter (before that set goes live),
// and, with several replicas, kept in step by tailing it (Tail).
package counters

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verdicthq/verdict/engine"
)

// Config bounds the counters' memory.
type Config struct {
	// MaxEventsPerKey bounds what one key of one counter keeps: the
	// decisions of its window, at most this many (default 10,000). A key
	// with more drops its oldest ones, and reads at least this many (count)
	// or over this many (sum, distinct, max).
	MaxEventsPerKey int
	// Budget is the memory all counters may take, in bytes (default 512 MiB).
	// A set whose counters, built from the log, would go over it is refused.
	Budget int64
	// Lookback is how far before the newest decision seen a decision may
	// still arrive (recorded late, or read twice by Tail and by Observe): ids
	// of that span are kept to count each decision once (default 10 s).
	Lookback time.Duration
	// KeepAll keeps every event fed, whatever its age and however many a
	// key has, for values as of any past time (replay's history); Budget
	// and MaxEventsPerKey do not apply.
	KeepAll bool
}

func (c Config) withDefaults() Config {
	if c.MaxEventsPerKey <= 0 {
		c.MaxEventsPerKey = engine.DefaultCounterEventsPerKey
	}
	if c.Budget <= 0 {
		c.Budget = engine.DefaultCounterBytes
	}
	if c.Lookback <= 0 {
		c.Lookback = 10 * time.Second
	}
	return c
}

// Memory costs, estimated, in bytes: what Bytes counts.
const (
	eventBytes = engine.CounterEventBytes // one decision in one key's window
	keyBytes   = engine.CounterKeyBytes   // a key's map entry, series header and slice header, beside the key's text
	seenBytes  = 72                       // a remembered trace id
)

// Counters holds every counter state. It is safe for concurrent use.
type Counters struct {
	cfg    Config
	mu     sync.RWMutex
	states map[string]*state        // by engine.CounterDecl.Definition
	list   atomic.Pointer[[]*state] // states' values, for Observe and Sweep without a copy each
	bytes  atomic.Int64
	seed   maphash.Seed
}

// New returns empty counters.
func New(cfg Config) *Counters {
	return &Counters{cfg: cfg.withDefaults(), states: map[string]*state{}, seed: maphash.MakeSeed()}
}

// Config returns the configuration in force (defaults filled).
func (c *Counters) Config() Config { return c.cfg }

// Bytes estimates the memory the counters hold.
func (c *Counters) Bytes() int64 { return c.bytes.Load() }

// state is one counter definition's events, by key.
type state struct {
	decl   engine.CounterDecl
	window int64 // microseconds
	maxEv  int
	parent *Counters

	mu     sync.RWMutex
	keys   map[string]*series
	seen   map[string]int64 // trace id -> decided_at (µs), for ids within Lookback of newest
	newest int64            // the latest decided_at seen (µs)
}

// series is one key's events, oldest first.
type series struct {
	ev []event
}

// event is one recorded decision: when, and the value it adds (float64
// bits for sum and max, a hash for distinct, unused for count).
type event struct {
	at int64
	v  uint64
}

// Value is a counter's value for a key as of now: over the decisions
// recorded in [now − window, now). ok is false when no state holds the
// counter (it was never installed).
func (c *Counters) Value(d *engine.CounterDecl, key string, now time.Time) (float64, bool) {
	c.mu.RLock()
	st := c.states[d.Definition]
	c.mu.RUnlock()
	if st == nil {
		return 0, false
	}
	return st.value(key, now.UnixMicro()), true
}

func (st *state) value(key string, now int64) float64 {
	st.mu.RLock()
	defer st.mu.RUnlock()
	s := st.keys[key]
	if s == nil {
		return 0
	}
	lo := sort.Search(len(s.ev), func(i int) bool { return s.ev[i].at >= now-st.window })
	hi := sort.Search(len(s.ev), func(i int) bool { return s.ev[i].at >= now })
	if lo >= hi {
		return 0
	}
	in := s.ev[lo:hi]
	switch st.decl.Agg {
	case engine.AggSum:
		sum := 0.0
		for _, e := range in {
			sum += math.Float64frombits(e.v)
		}
		return sum
	case engine.AggMax:
		m := math.Inf(-1)
		for _, e := range in {
			m = max(m, math.Float64frombits(e.v))
		}
		return m
	case engine.AggDistinct:
		return float64(distinct(in))
	}
	return float64(len(in))
}

// distinctPool holds the scratch sets distinct counts use.
var distinctPool = sync.Pool{New: func() any { return new([]uint64) }}

// distinct counts the distinct values among events, with an open-addressing
// set from a pool: no allocation once warm.
func distinct(in []event) int {
	size := 16
	for size < 2*len(in) {
		size <<= 1
	}
	p := distinctPool.Get().(*[]uint64)
	if cap(*p) < size {
		*p = make([]uint64, size)
	}
	set := (*p)[:size]
	clear(set)
	n := 0
	zero := false
	for _, e := range in {
		h := e.v
		if h == 0 {
			if !zero {
				zero = true
				n++
			}
			continue
		}
		for i := h & uint64(size-1); ; i = (i + 1) & uint64(size-1) {
			if set[i] == h {
				break
			}
			if set[i] == 0 {
				set[i] = h
				n++
				break
			}
		}
	}
	distinctPool.Put(p)
	return n
}

// Observe adds a recorded decision to every counter state: O(counters),
// each its decl's Contribution and an append. A decision already counted
// (the same id within Lookback) is not counted again.
func (c *Counters) Observe(id string, past engine.PastDecision) {
	for _, st := range c.snapshot() {
		st.observe(id, past)
	}
}

// snapshot is every state, as of the last change of the set of states.
func (c *Counters) snapshot() []*state {
	if l := c.list.Load(); l != nil {
		return *l
	}
	return nil
}

// relist refreshes the states' list after c.states changed; c.mu is held
// for writing.
func (c *Counters) relist() {
	l := make([]*state, 0, len(c.states))
	for _, st := range c.states {
		l = append(l, st)
	}
	c.list.Store(&l)
}

func (st *state) observe(id string, past engine.PastDecision) {
	st.observeFrom(id, past, math.MinInt64)
}

// observeFrom is observe for a backfill: a decision older than remember
// (µs) is checked against the ids counted already but not itself
// remembered, as nothing observed later can be it (it is older than the
// Lookback before the backfill began); remembering every id of a window
// would cost a map entry per decision and counter.
func (st *state) observeFrom(id string, past engine.PastDecision, remember int64) {
	if c, ok := st.contribution(id, past, remember); ok {
		st.add(c)
	}
}

// contribution is one decision's part in one state, worked out before the
// state's lock is taken.
type contribution struct {
	id, key  string
	e        event
	remember bool
}

func (st *state) contribution(id string, past engine.PastDecision, remember int64) (contribution, bool) {
	key, v, ok := st.decl.Contribution(past)
	if !ok {
		return contribution{}, false
	}
	return st.contributionOf(id, past.DecidedAt.UnixMicro(), key, v, remember), true
}

// contributionOf is the contribution of a decision decided at (µs) that
// adds v under key (engine.CounterDecl.Contribution's results).
func (st *state) contributionOf(id string, at int64, key string, v any, remember int64) contribution {
	var bits uint64
	switch x := v.(type) {
	case float64:
		bits = math.Float64bits(x)
	case string:
		bits = maphash.String(st.parent.seed, x)
	}
	return contribution{id: id, key: key, e: event{at: at, v: bits}, remember: at >= remember}
}

func (st *state) add(c contribution) {
	st.mu.Lock()
	grown := st.addLocked(c)
	st.mu.Unlock()
	st.parent.bytes.Add(grown)
}

// addAll adds contributions in order under one taking of the lock, and
// counts the bytes they take once (the total is shared by every state and
// worker: one atomic add a contribution was a tenth of a backfill's adding).
func (st *state) addAll(cs []contribution) {
	var grown int64
	st.mu.Lock()
	for _, c := range cs {
		grown += st.addLocked(c)
	}
	st.mu.Unlock()
	st.parent.bytes.Add(grown)
}

// addLocked adds one contribution and returns how many bytes the state grew
// by (negative when it shrank), for the caller to count.
func (st *state) addLocked(c contribution) (grown int64) {
	id, key, e, remember := c.id, c.key, c.e, c.remember
	look := st.parent.cfg.Lookback.Microseconds()
	if id != "" {
		if _, dup := st.seen[id]; dup {
			return 0
		}
	}
	if id != "" && remember && e.at >= st.newest-look {
		st.seen[id] = e.at
		grown += int64(seenBytes + len(id))
	}
	st.newest = max(st.newest, e.at)
	s := st.keys[key]
	if s == nil {
		s = &series{}
		st.keys[key] = s
		grown += int64(keyBytes + len(key))
	}
	if st.parent.cfg.KeepAll {
		return grown + st.insert(s, e)
	}
	// Drop what fell out of the window (for a read at newest less Lookback:
	// a decision may read a little before the newest recorded), then bound
	// the key.
	horizon := st.newest - st.window - look
	cut := 0
	for cut < len(s.ev) && s.ev[cut].at < horizon {
		cut++
	}
	if len(s.ev)-cut >= st.maxEv {
		cut = len(s.ev) - st.maxEv + 1
	}
	if cut > 0 {
		s.ev = s.ev[cut:] // O(1): the dropped prefix is freed when the slice next grows
		grown -= int64(cut * eventBytes)
	}
	if e.at < horizon {
		return grown
	}
	return grown + st.insert(s, e)
}

// insert adds an event in time order; events come nearly in order, so it
// searches from the end.
func (st *state) insert(s *series, e event) (grown int64) {
	i := len(s.ev)
	for i > 0 && s.ev[i-1].at > e.at {
		i--
	}
	s.ev = slices.Insert(s.ev, i, e)
	return eventBytes
}

// Sweep forgets what no read can need any more: events older than their
// window before now, keys left empty, and remembered ids older than
// Lookback. serve runs it every minute, off the decision path.
func (c *Counters) Sweep(now time.Time) {
	at := now.UnixMicro()
	for _, st := range c.snapshot() {
		st.sweep(at)
	}
}

func (st *state) sweep(now int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	freed := int64(0)
	for k, s := range st.keys {
		cut := 0
		for cut < len(s.ev) && s.ev[cut].at < now-st.window {
			cut++
		}
		if cut == len(s.ev) {
			delete(st.keys, k)
			freed += int64(keyBytes + len(k) + len(s.ev)*eventBytes)
			continue
		}
		s.ev = s.ev[cut:] // O(1): the dropped prefix is freed when the slice next grows
		freed += int64(cut * eventBytes)
	}
	look := st.parent.cfg.Lookback.Microseconds()
	for id, at := range st.seen {
		if at < max(now, st.newest)-3*look { // Tail re-reads one Lookback before its last poll
			delete(st.seen, id)
			freed += int64(seenBytes + len(id))
		}
	}
	st.parent.bytes.Add(-freed)
}

// Installed reports whether a state holds the counter's definition.
func (c *Counters) Installed(d *engine.CounterDecl) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.states[d.Definition] != nil
}

// Retain drops every state but those of the given sets' counters (the live
// set and the one before it, so decisions still running on the previous
// set keep reading theirs).
func (c *Counters) Retain(sets ...*engine.Set) {
	keep := map[string]bool{}
	for _, s := range sets {
		if s == nil {
			continue
		}
		for _, d := range s.Counters() {
			keep[d.Definition] = true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for def, st := range c.states {
		if !keep[def] {
			delete(c.states, def)
			c.bytes.Add(-st.bytes())
		}
	}
	c.relist()
}

func (st *state) bytes() int64 {
	st.mu.RLock()
	defer st.mu.RUnlock()
	n := int64(0)
	for k, s := range st.keys {
		n += int64(keyBytes + len(k) + len(s.ev)*eventBytes)
	}
	for id := range st.seen {
		n += int64(seenBytes + len(id))
	}
	return n
}

func (c *Counters) newState(d engine.CounterDecl) *state {
	return &state{decl: d, window: d.Window.Microseconds(), maxEv: c.cfg.MaxEventsPerKey, parent: c,
		keys: map[string]*series{}, seen: map[string]int64{}}
}

// errOverBudget builds the refusal of a set whose new counters do not fit:
// it names each, largest first, with what it took when the budget was
// passed (a backfill stops there, so the whole need is at least that).
func (c *Counters) errOverBudget(fresh []*state) error {
	type size struct {
		name  string
		bytes int64
	}
	sizes := make([]size, 0, len(fresh))
	for _, st := range fresh {
		sizes = append(sizes, size{st.decl.Name, st.bytes()})
	}
	slices.SortFunc(sizes, func(a, b size) int { return cmp.Compare(b.bytes, a.bytes) })
	parts := make([]string, len(sizes))
	for i, s := range sizes {
		parts[i] = fmt.Sprintf("%s %s", s.name, mib(s.bytes))
	}
	return fmt.Errorf("the counters built from the decision log go over the counters' memory budget of %s (counters.budget_bytes; %s in use by the others): %s at least; shorten their windows, narrow their where, or raise the budget",
		mib(c.cfg.Budget), mib(c.bytes.Load()-sum(sizes, func(s size) int64 { return s.bytes })), strings.Join(parts, ", "))
}

// mib writes a byte count in MiB with one decimal (in KiB under 1 MiB).
func mib(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func sum[T any](xs []T, f func(T) int64) int64 {
	n := int64(0)
	for _, x := range xs {
		n += f(x)
	}
	return n
}
