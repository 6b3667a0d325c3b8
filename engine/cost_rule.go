package engine

import (
	"fmt"
	"math"
	"strings"
)

// Cost is the worst-case cost of one rule, as `verdict lint --cost` prints it.
type Cost struct {
	RuleID   string `json:"rule_id"`
	Position string `json:"position"` // file:line:col of its when
	Units    int64  `json:"units"`    // work, in cost units (about one VM step)
	Bytes    int64  `json:"bytes"`    // allocation
}

// Costs lists the worst-case cost of every rule of the policy, in order.
func (p *Policy) Costs() []Cost {
	out := make([]Cost, len(p.rules))
	for i, r := range p.rules {
		out[i] = Cost{RuleID: r.id, Position: r.pos, Units: r.cost.units, Bytes: r.cost.bytes}
	}
	return out
}

// ruleCost is a rule's static cost, kept with the rule.
type ruleCost struct {
	units, bytes, items int64
	loops               bool // it loops over a collection that is not a literal (so it carries the step guard)
}

// ruleCost computes a compiled rule's static cost and adds it to total,
// recording a load error (and returning false) when it cannot be bounded or
// takes the decision over a limit: the rule's own cost, or the sum of the
// rules so far, since a decision may run them all.
func (c *compiler) ruleCost(rs ruleSpec, out *compiled, total *ruleCost) (_ ruleCost, ok bool) {
	defer func() {
		if v := recover(); v != nil { // a bug here must not take the process down with a policy
			c.el.add(rs.when.line, rs.when.col, CodeCost, "rule %q: its cost could not be computed (internal error: %v)", rs.id, v)
			ok = false
		}
	}()
	a := &analyzer{lim: c.lim}
	b := a.visit(out.prog.Node())
	line, col := rs.when.line, rs.when.col
	what := fmt.Sprintf("rule %q", rs.id)
	if a.err != nil {
		if from := a.err.node.Location().From; from > 0 && from < len(rs.when.text) {
			l, cl := offsetToLineCol([]rune(rs.when.text), from)
			line, col = c.position(rs.when, l, cl)
		}
		c.el.add(line, col, CodeCost, "%s: its cost cannot be bounded: %s", what, a.err.msg)
		return ruleCost{}, false
	}
	// Besides what it builds, every step may box a number (8 bytes): measured
	// allocation stays within 5 bytes per unit (docs/bench-engine.md).
	rc := ruleCost{units: saturate(b.cost), bytes: saturate(b.bytes + boxBytes*b.cost), items: saturate(b.items), loops: a.loops}
	over := func(units, bytes int64, prefix string) bool {
		var parts []string
		if units > c.lim.Cost {
			parts = append(parts, fmt.Sprintf("cost up to %d units per decision (the limit is %d)", units, c.lim.Cost))
		}
		if bytes > c.lim.Memory {
			parts = append(parts, fmt.Sprintf("allocate up to %d bytes per decision (the limit is %d)", bytes, c.lim.Memory))
		}
		if len(parts) == 0 {
			return false
		}
		c.el.add(line, col, CodeCost, "%s: %s %s", what, prefix, strings.Join(parts, " and "))
		return true
	}
	switch {
	case over(rc.units, rc.bytes, "would"):
	case rc.items >= MemoryBudget: // the VM stops at the budget itself
		c.el.add(line, col, CodeCost, "%s: builds up to %d items (ranges, lists, maps) in one evaluation; the VM stops at %d", what, rc.items, MemoryBudget)
	case over(total.units+rc.units, total.bytes+rc.bytes, fmt.Sprintf("with the rules before it (this one: %d units, %d bytes), a decision would", rc.units, rc.bytes)):
	default:
		total.units += rc.units
		total.bytes += rc.bytes
		return rc, true
	}
	return ruleCost{}, false
}

// boxBytes is the allocation allowed per cost unit beyond what an
// expression builds: the VM boxes numbers it pushes (8 bytes each above 255).
const boxBytes = 8

// saturate converts a bound to an int64, +Inf and huge values to MaxInt64.
func saturate(f float64) int64 {
	if f >= math.MaxInt64 || math.IsInf(f, 1) || math.IsNaN(f) {
		return math.MaxInt64
	}
	return int64(math.Ceil(f))
}
