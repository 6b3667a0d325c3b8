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

// listHit is one membership a decision asked, by the rule that asked it.
type listHit struct {
	rule int
	read ListRead
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
		ev.listReads = append(ev.listReads, listHit{rule: ev.rule, read: ListRead{List: s.name, Value: text, Member: member}})
		return member
	}
}

// fillCounters puts the decision's counter values into the env and records
// them; a counter the rules read that the decision was not handed fails it.
func (l *layout) fillCounters(env map[string]any, given map[string]CounterValue, reads []CounterRead) ([]CounterRead, error) {
	for i := range l.counters {
		s := &l.counters[i]
		cv, ok := given[s.name]
		if !ok {
			return reads, &InputError{Path: s.key, Message: "no value was given for the counter"}
		}
		v := cv.Value
		if cv.KeyMissing {
			v = 0
		}
		if s.float {
			env[s.key] = v
		} else {
			env[s.key] = int(v)
		}
		reads = append(reads, CounterRead{Counter: s.name, Key: cv.Key, Value: v, KeyMissing: cv.KeyMissing})
	}
	return reads, nil
}

// memory is what the decision read, copied out of the evaluator's scratch;
// nil when it read nothing.
func (ev *evaluator) memory() *Memory {
	if len(ev.listReads) == 0 && len(ev.counterReads) == 0 {
		return nil
	}
	m := &Memory{}
	if n := len(ev.listReads); n > 0 {
		m.Lists = make([]ListRead, n)
		for i, h := range ev.listReads {
			m.Lists[i] = h.read
		}
	}
	if len(ev.counterReads) > 0 {
		m.Counters = append([]CounterRead(nil), ev.counterReads...)
	}
	return m
}

// listInput is a fired rule's input for a list it read: whether any value
// it asked was a member.
func (ev *evaluator) listInput(name string) any {
	member := false
	for i := ev.ruleStart; i < len(ev.listReads); i++ {
		if r := &ev.listReads[i].read; r.List == name && r.Member {
			member = true
		}
	}
	return member
}

// listReadUnits is the static cost of one membership, besides hashing the
// value (its length over 16, as comparisons count text): the call, the
// lookup behind Lists and recording the read.
const listReadUnits = 20

// listRead is the bound of `x in lists.NAME`: a boolean.
func (a *analyzer) listRead(arg ast.Node) *bound {
	v := a.visit(arg)
	b := &bound{cost: listReadUnits + v.size/16, bytes: 64} // a number looked up is formatted
	return b.add(v)
}
