package engine

import (
	"slices"
	"sync"
	"time"
)

// CounterGroup works out the contributions of several counters to one
// recorded decision from one env, filled once for all of them: what a
// backfill does for every stored decision and every new counter. Filling an
// env a counter was most of a contribution's cost.
type CounterGroup struct {
	decls      []*CounterDecl
	layout     layout
	guardLimit int64
	pool       sync.Pool // of *counterEval
}

// GroupCounters groups counters whose expressions can share one env: those
// of policies with the same context declarations and input limits (a
// context field declared with another type in another policy is checked
// differently). Every decl is in exactly one group, in the order given
// within it. A decl that failed to compile gets a group of its own, whose
// Contributions gives nothing, as its Contribution does.
func GroupCounters(decls []*CounterDecl) []*CounterGroup {
	var groups []*CounterGroup
next:
	for _, d := range decls {
		if d.prog != nil {
			for _, g := range groups {
				if g.fits(d) {
					g.add(d)
					continue next
				}
			}
		}
		g := &CounterGroup{}
		g.add(d)
		groups = append(groups, g)
	}
	for _, g := range groups {
		size := g.layout.size()
		limit := g.guardLimit
		g.pool.New = func() any { return newCounterEval(size, limit) }
	}
	return groups
}

// Decls returns the group's counters, in the order Contributions reports them.
func (g *CounterGroup) Decls() []*CounterDecl { return g.decls }

func (g *CounterGroup) fits(d *CounterDecl) bool {
	if len(g.decls) == 0 || g.decls[0].prog == nil {
		return false
	}
	a, b := &g.layout, &d.prog.layout
	return a.maxString == b.maxString && a.maxItems == b.maxItems &&
		g.guardLimit == d.prog.guardLimit && slices.Equal(a.context, b.context)
}

// add puts d in the group, widening the group's layout by what d reads.
func (g *CounterGroup) add(d *CounterDecl) {
	g.decls = append(g.decls, d)
	if d.prog == nil {
		return
	}
	l := &d.prog.layout
	if len(g.decls) == 1 {
		g.layout = layout{score: l.score, now: l.now, context: l.context, maxString: l.maxString, maxItems: l.maxItems}
		g.guardLimit = d.prog.guardLimit
	}
	g.layout.score = g.layout.score || l.score
	g.layout.now = g.layout.now || l.now
	for _, c := range l.checks {
		if !slices.ContainsFunc(g.layout.checks, func(x checkKey) bool { return x.key == c.key }) {
			g.layout.checks = append(g.layout.checks, c)
		}
	}
	for _, r := range l.roots {
		if !slices.Contains(g.layout.roots, r) {
			g.layout.roots = append(g.layout.roots, r)
		}
	}
}

// Contributed is what a decision adds to the counter Decls()[Index] of a
// group: CounterDecl.Contribution's key and value.
type Contributed struct {
	Index int
	Key   string
	Value any
}

// Contributions appends to out what past adds to each counter of the group
// it counts for, exactly as each counter's Contribution would give it, and
// returns out.
func (g *CounterGroup) Contributions(past PastDecision, out []Contributed) []Contributed {
	if past.Report == nil || len(g.decls) == 0 || g.decls[0].prog == nil {
		return out
	}
	ev := g.pool.Get().(*counterEval)
	defer g.pool.Put(ev)
	now := past.DecidedAt
	if now.IsZero() {
		now = time.Now().UTC()
	}
	if err := g.layout.fill(ev.env, past.Report, past.Context, now); err != nil {
		// Something only some counters read is out of bounds (a check
		// group over the input limits, ...): each counter on its own, so
		// the others still count as their Contribution does.
		for i, d := range g.decls {
			if key, v, ok := d.Contribution(past); ok {
				out = append(out, Contributed{i, key, v})
			}
		}
		return out
	}
	for i, d := range g.decls {
		if key, v, ok := d.prog.contribute(ev, &past); ok {
			out = append(out, Contributed{i, key, v})
		}
	}
	return out
}
