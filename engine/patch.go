package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// patcher walks an expression's tree at load time. It
//   - inlines variables (a fresh copy of the variable's tree per use),
//   - rejects device_checks.X / biometric_checks.X when X is not a documented
//     check (the bracket form device_checks["X"] stays open for checks
//     Roundtable adds later),
//   - flattens device_checks.X and declared context fields into single env
//     keys ("device_checks.vpn", "context.amount"), typed in the sample env,
//   - pins now() to the decision's time (see pinNow),
//   - and records every report and context path the expression reads, and
//     the top-level names it still reads as such.
type patcher struct {
	c         *compiler
	src       []rune
	reads     reads
	errs      []patchErr
	brokenVar string
	inlined   int // nodes inlined from variables so far
	visited   int // nodes of the expression itself

	noInline    bool             // leave variables as names (a variable checked on its own)
	noMemory    bool             // lists and counters are not names (a counter's own expressions)
	lists       map[ast.Node]int // lists.NAME members not yet read by an in, at their offsets (see listIn)
	listCalls   int              // list reads rewritten into calls
	byReference bool             // inline variables' own trees, not copies (a variable's tree for inlining)
}

// reads are the paths an expression reads and the roots its program loads.
// Counts go down when a root turns out to be the base of a member.
type reads struct {
	inputs map[string]int // "risk_score", "device_checks.vpn", "context.amount", ...
	roots  map[string]int // top-level env names the program loads
}

func newReads() reads { return reads{inputs: map[string]int{}, roots: map[string]int{}} }

func (r reads) merge(o reads) {
	for k, v := range o.inputs {
		r.inputs[k] += v
	}
	for k, v := range o.roots {
		r.roots[k] += v
	}
}

type patchErr struct {
	from      int
	code, msg string
}

func (p *patcher) Visit(n *ast.Node) {
	p.visited++
	switch x := (*n).(type) {
	case *ast.IdentifierNode:
		if v, isVar := p.c.vars[x.Value]; isVar {
			if !v.ok || v.tree == nil {
				p.brokenVar = x.Value
				return
			}
			if p.noInline {
				return
			}
			if p.inlined+v.size > p.c.lim.Nodes {
				p.errs = append(p.errs, patchErr{from: x.Location().From, code: CodeLimit,
					msg: fmt.Sprintf("too large once its variables are written out (over %d nodes); split it into smaller rules", p.c.lim.Nodes)})
				return
			}
			p.inlined += v.size
			p.visited-- // the name is replaced by the variable, counted in inlined
			if p.byReference {
				p.reads.merge(v.reads)
				ast.Patch(n, v.tree)
				return
			}
			tree, rd, _ := p.c.variableTree(x.Value, x.Location())
			p.reads.merge(rd)
			ast.Patch(n, tree)
			return
		}
		if slices.Contains(rootNames, x.Value) {
			p.reads.inputs[x.Value]++
			p.reads.roots[x.Value]++
		}
	case *ast.BinaryNode:
		if !p.noMemory && p.listIn(n, x) {
			return
		}
	case *ast.BuiltinNode:
		if x.Name == "now" {
			p.pinNow(n, x.Arguments)
			return
		}
		guardLoop(x)
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && id.Value == "now" {
			p.pinNow(n, x.Arguments)
		}
	case *ast.MemberNode:
		id, ok := x.Node.(*ast.IdentifierNode)
		prop, ok2 := x.Property.(*ast.StringNode)
		if !ok || !ok2 {
			return
		}
		switch id.Value {
		case nameLists, nameCounters:
			if !p.noMemory {
				p.memberRead(n, id, prop)
			}
		case nameDevice, nameBiometric:
			path := id.Value + "." + prop.Value
			p.reads.inputs[id.Value]--
			p.reads.inputs[path]++
			known := knownChecks(id.Value)
			if !p.bracketForm(prop) && !slices.Contains(known, prop.Value) {
				p.errs = append(p.errs, patchErr{from: prop.Location().From, code: CodeUnknownCheck,
					msg: fmt.Sprintf("unknown %s check %q (known: %s); a check Roundtable added after these can be read as %s[%q]",
						strings.TrimSuffix(id.Value, "_checks"), prop.Value, strings.Join(known, ", "), id.Value, prop.Value)})
				return
			}
			p.reads.roots[id.Value]--
			p.flatten(n, path)
		case nameContext:
			path := id.Value + "." + prop.Value
			p.reads.inputs[id.Value]--
			p.reads.inputs[path]++
			if _, declared := p.c.ctxTypes[prop.Value]; declared {
				p.reads.roots[id.Value]--
				p.flatten(n, path)
			}
		}
	}
}

// pinNow replaces a call of now() by the env key holding the decision's time
// (see nowKey), and now(tz) by that time's In(tz), so that a rule reads the
// time the pipeline set for the decision, never the clock.
func (p *patcher) pinNow(n *ast.Node, args []ast.Node) {
	p.reads.inputs[nowKey]++
	p.reads.roots[nowKey]++
	var t ast.Node = &ast.IdentifierNode{Value: nowKey}
	if len(args) > 0 {
		t = &ast.CallNode{Callee: &ast.MemberNode{Node: t, Property: &ast.StringNode{Value: "In"}, Method: true}, Arguments: args}
	}
	ast.Patch(n, t)
}

// bracketForm tells device_checks["x"] from device_checks.x: the property of
// the bracket form starts at its quote.
func (p *patcher) bracketForm(prop *ast.StringNode) bool {
	from := prop.Location().From
	return from >= 0 && from < len(p.src) && (p.src[from] == '"' || p.src[from] == '\'' || p.src[from] == '`')
}

// flatten replaces a member read by the env key of its path.
func (p *patcher) flatten(n *ast.Node, path string) {
	ast.Patch(n, &ast.IdentifierNode{Value: path})
}

// inputList turns use counts into the sorted list of paths read.
func inputList(m map[string]int) []string {
	var out []string
	for k, v := range m {
		if v > 0 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
