package engine

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// listSlot is a list a policy's rules read.
type listSlot struct {
	name, key, kind string
}

// counterSlot is a counter a policy's rules read.
type counterSlot struct {
	name, key string
	float     bool // sum or max: a float64 in the env; count and distinct are ints
}

// errNoLists fails a rule that asks a list when the decision was handed none.
var errNoLists = errors.New("the policy reads lists but no list store was given for the decision")

// addMemory adds the lists and counters the rules read to the layout.
func (l *layout) addMemory(all reads, c *compiler) {
	for _, path := range inputList(all.inputs) {
		root, name, _ := strings.Cut(path, ".")
		switch root {
		case nameLists:
			if ls := c.lists[name]; ls != nil {
				l.lists = append(l.lists, listSlot{name: name, key: path, kind: ls.kind})
			}
		case nameCounters:
			if cs := c.counters[name]; cs != nil {
				l.counters = append(l.counters, counterSlot{name: name, key: path, float: cs.agg == AggSum || cs.agg == AggMax})
			}
		}
	}
}

// listFunc is the membership function of one list in an evaluator's env: it
// asks the decision's Lists and records what it asked. A text is looked up as
// it is, a number in its shortest decimal form; nil (an absent field) and
// anything else is not a member. For a cidr list the text must be an IP
// address (IPv4-mapped IPv6 addresses are taken as IPv4). It allocates only
// for a number.
func (ev *evaluator) listFunc(s listSlot) listFunc {
	return func(v any) any {
		if ev.lists == nil {
			panic(errNoLists)
		}
		text := ""
		switch x := v.(type) {
		case string:
			text = x
		case int:
			text = strconv.Itoa(x)
		case float64:
			text = strconv.FormatFloat(x, 'f', -1, 64)
		}
		member := false
		if text != "" {
			if s.kind == ListCIDR {
				if ip, err := netip.ParseAddr(text); err == nil {
					member = ev.lists.ContainsIP(s.name, ip.Unmap())
				}
			} else {
				member = ev.lists.Contains(s.name, text)
			}
		}
		ev.listReads = append(ev.listReads, ListRead{List: s.name, Value: text, Member: member})
		return member
	}
}

// fillCounters puts the decision's counter values into the env and records
// them in reads (one per counter the rules read); a counter the rules read
// that the decision was not handed fails it.
func (l *layout) fillCounters(env map[string]any, given map[string]CounterValue, reads []CounterRead) error {
	for i := range l.counters {
		s := &l.counters[i]
		cv, ok := given[s.name]
		if !ok {
			return &InputError{Path: s.key, Message: "no value was given for the counter"}
		}
		v := cv.Value
		if cv.KeyMissing {
			v = 0
		}
		if s.float {
			env[s.key] = v
		} else {
			env[s.key] = boxCount(int(v))
		}
		reads[i] = CounterRead{Counter: s.name, Key: cv.Key, Value: v, KeyMissing: cv.KeyMissing}
	}
	return nil
}

// memSlab is how many list and counter reads an evaluator allocates at once.
const memSlab = 256

// startMemory readies the evaluator for a decision's memory: the lists it
// asks, and room for its reads in the slabs' free parts, so that recording a
// read writes where the decision will keep it (see memory).
func (ev *evaluator) startMemory(l *layout, lists Lists) {
	ev.lists = lists
	if len(l.lists) > 0 {
		if len(ev.listFree) < 4*len(l.lists) {
			ev.listFree = make([]ListRead, memSlab)
		}
		ev.listReads = ev.listFree[:0]
	}
	if n := len(l.counters); n > 0 {
		if len(ev.counterFree) < n {
			ev.counterFree = make([]CounterRead, max(n, memSlab))
		}
		ev.counterReads = ev.counterFree[:n:n]
	}
}

// memory is what the decision read, handed out of the slabs it was written
// into (as explanations are, see slab.go): most decisions allocate nothing
// for it. nil when the policy reads no list or counter.
func (ev *evaluator) memory(l *layout) *Memory {
	if len(l.lists) == 0 && len(l.counters) == 0 {
		return nil
	}
	if len(ev.mems) == 0 {
		ev.mems = make([]Memory, entrySlab)
	}
	m := &ev.mems[0]
	ev.mems = ev.mems[1:]
	if n := len(ev.listReads); n > 0 {
		m.Lists = ev.listReads[:n:n]
		if n <= len(ev.listFree) && &ev.listFree[0] == &m.Lists[0] {
			ev.listFree = ev.listFree[n:]
		} // else the reads outgrew the slab and were appended to their own array
	}
	if n := len(l.counters); n > 0 {
		m.Counters = ev.counterReads
		ev.counterFree = ev.counterFree[n:]
	}
	ev.listReads, ev.counterReads, ev.lists = nil, nil, nil
	return m
}

// listInput is a fired rule's input for a list it read: whether any value
// it asked was a member.
func (ev *evaluator) listInput(name string) any {
	member := false
	for i := ev.ruleStart; i < len(ev.listReads); i++ {
		if r := &ev.listReads[i]; r.List == name && r.Member {
			member = true
		}
	}
	return member
}

// listReadUnits is the static cost of one membership, besides hashing the
// value: the call, the lookup behind Lists and recording the read. Hashing
// counts the value's length over 64 (the runtime's string hash runs at
// several bytes a nanosecond; comparisons, which branch per byte, count
// length over 16), so `any(tags, # in lists.x)` over the largest tags the
// bound allows loads.
const listReadUnits = 20

// listRead is the bound of `x in lists.NAME`: a boolean.
func (a *analyzer) listRead(arg ast.Node) *bound {
	v := a.visit(arg)
	b := &bound{cost: listReadUnits + v.size/64, bytes: 64} // a number looked up is formatted
	return b.add(v)
}

// boxedCounts are the counts 0 to 1023 as interfaces, boxed once: most
// counters read small counts, and putting one into the env then allocates
// nothing (the runtime itself boxes only 0 to 255 without allocating).
var boxedCounts = func() (b [1024]any) {
	for i := range b {
		b[i] = i
	}
	return b
}()

// boxCount returns n as an interface, without allocating for 0 to 1023.
func boxCount(n int) any {
	if n >= 0 && n < len(boxedCounts) {
		return boxedCounts[n]
	}
	return n
}
