package decision

import (
	"context"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// NoMemory is the memory of a pipeline without lists and counters (`verdict
// eval`, a dry run without a log): every list is empty and every counter
// reads 0 for the decision's key.
var NoMemory Memory = noMemory{}

type noMemory struct{}

func (noMemory) Read(f *engine.Facts, live, shadow *engine.Policy) {
	f.Lists = emptyLists{}
	n := len(live.Counters())
	if shadow != nil {
		n += len(shadow.Counters())
	}
	if n == 0 {
		return
	}
	vals := make(map[string]engine.CounterValue, n)
	for _, p := range []*engine.Policy{live, shadow} {
		if p == nil {
			continue
		}
		decls := p.Counters()
		for i := range decls {
			key, ok := decls[i].Key(*f)
			vals[decls[i].Name] = engine.CounterValue{Key: key, KeyMissing: !ok}
		}
	}
	f.Counters = vals
}

func (noMemory) Recorded(*Result) {}

type emptyLists struct{}

func (emptyLists) Contains(string, string) bool       { return false }
func (emptyLists) ContainsIP(string, netip.Addr) bool { return false }

// AsOf computes, for replay, a list membership or a counter value as of a
// past decision's time from the decision log and the list history: what a
// candidate reads that the stored decision did not.
type AsOf struct {
	Lists   func(at time.Time) engine.Lists                               // nil: every list empty
	Counter func(d *engine.CounterDecl, key string, at time.Time) float64 // nil: every counter 0
}

// ReplayMemory is replay's memory: each stored decision's own reads (its
// trace's memory) first, so replaying the policy that decided is exact;
// what the stored decision did not read is computed by AsOf and counted,
// so replay can say which lists and counters it computed and for how many
// decisions.
type ReplayMemory struct {
	AsOf AsOf

	mu       sync.Mutex
	computed map[string]int64 // "lists.x" or "counters.y" -> decisions it was computed for
}

// Computed returns, by name ("lists.blocked_users", "counters.user_cards_1h"),
// how many replayed decisions read it computed from the log rather than
// from their trace.
func (m *ReplayMemory) Computed() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int64, len(m.computed))
	for k, v := range m.computed {
		out[k] = v
	}
	return out
}

// ComputedNames is Computed's names, sorted.
func (m *ReplayMemory) ComputedNames() []string {
	c := m.Computed()
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func (m *ReplayMemory) note(names map[string]bool) {
	if len(names) == 0 {
		return
	}
	m.mu.Lock()
	if m.computed == nil {
		m.computed = map[string]int64{}
	}
	for n := range names {
		m.computed[n]++
	}
	m.mu.Unlock()
}

// stored is one replayed decision's memory.
type stored struct {
	m        *ReplayMemory
	reads    *engine.Memory
	at       time.Time
	asOf     engine.Lists
	computed map[string]bool
}

func (s *stored) Read(f *engine.Facts, live, shadow *engine.Policy) {
	s.at = f.Now
	f.Lists = s
	decls := live.Counters()
	if len(decls) > 0 {
		vals := make(map[string]engine.CounterValue, len(decls))
		for i := range decls {
			d := &decls[i]
			if cv, ok := s.storedCounter(d.Name); ok {
				vals[d.Name] = cv
				continue
			}
			key, ok := d.Key(*f)
			cv := engine.CounterValue{Key: key, KeyMissing: !ok}
			if ok && s.m.AsOf.Counter != nil {
				cv.Value = s.m.AsOf.Counter(d, key, f.Now)
			}
			vals[d.Name] = cv
			s.mark("counters." + d.Name)
		}
		f.Counters = vals
	}
}

func (s *stored) Recorded(*Result) {}

func (s *stored) mark(name string) {
	if s.computed == nil {
		s.computed = map[string]bool{}
	}
	s.computed[name] = true
}

func (s *stored) storedCounter(name string) (engine.CounterValue, bool) {
	if s.reads == nil {
		return engine.CounterValue{}, false
	}
	for _, c := range s.reads.Counters {
		if c.Counter == name {
			return engine.CounterValue{Key: c.Key, Value: c.Value, KeyMissing: c.KeyMissing}, true
		}
	}
	return engine.CounterValue{}, false
}

func (s *stored) storedList(list, value string) (member, ok bool) {
	if s.reads == nil {
		return false, false
	}
	for _, r := range s.reads.Lists {
		if r.List == list && r.Value == value {
			return r.Member, true
		}
	}
	return false, false
}

func (s *stored) past() engine.Lists {
	if s.asOf == nil {
		if s.m.AsOf.Lists == nil {
			s.asOf = emptyLists{}
		} else {
			s.asOf = s.m.AsOf.Lists(s.at)
		}
	}
	return s.asOf
}

// Contains answers from the stored read, else from the list history.
func (s *stored) Contains(list, value string) bool {
	if member, ok := s.storedList(list, value); ok {
		return member
	}
	s.mark("lists." + list)
	return s.past().Contains(list, value)
}

// ContainsIP answers from the stored read, else from the list history.
func (s *stored) ContainsIP(list string, ip netip.Addr) bool {
	if member, ok := s.storedList(list, ip.String()); ok {
		return member
	}
	s.mark("lists." + list)
	return s.past().ContainsIP(list, ip)
}

// ReplayMemoryDecider is ReplayDecider with memory: each stored decision
// reads, through m, what it read when it was made; what it did not read is
// computed as of its time (m.AsOf) and counted in m.
func ReplayMemoryDecider(set *engine.Set, m *ReplayMemory) audit.Decider {
	p := replayPipeline(set)
	return func(in audit.ReplayInput) engine.Decision {
		st := &stored{m: m, reads: in.Memory}
		d := replayOne(p, in, st)
		m.note(st.computed)
		return d
	}
}

// replayOne decides one stored decision on p with memory mem.
func replayOne(p *Pipeline, in audit.ReplayInput, mem Memory) engine.Decision {
	req := Request{ID: in.ID, Report: in.Report, Tags: in.Tags, Context: in.Context, Now: in.DecidedAt,
		NoShadow: true, LenientContext: true, Memory: mem}
	if in.Report != nil {
		req.SessionID = in.Report.SessionID
	}
	res, err := p.Decide(context.Background(), req)
	if err != nil { // ErrNoPolicySet: a set without a live default (LoadDir refuses those)
		return engine.Decision{Reason: engine.ReasonOnError, FiredRules: []engine.FiredRule{},
			RuleErrors: []engine.RuleError{{Message: err.Error()}}}
	}
	return res.Live
}
