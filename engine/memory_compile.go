package engine

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Env keys of memory: "lists.NAME" holds the evaluator's membership function
// for the list (the patcher rewrites `x in lists.NAME` into a call of it) and
// "counters.NAME" the counter's value for the decision. Neither is an
// identifier, so no expression can name them except through the patcher.
const (
	nameLists    = "lists"
	nameCounters = "counters"
	nameOutcome  = "outcome" // a past decision's outcome, in a counter's where
	nameFired    = "fired"   // fired("rule-id"), in a counter's where
)

// listFunc is the type of a list's membership function in the env: expr
// calls a func(any) any without reflection or allocation (OpCallTyped).
type listFunc = func(any) any

// firedFunc is the type of fired in a where's env (OpCallTyped too).
type firedFunc = func(string) bool

// declareMemory indexes the policy's lists and counters for the patcher and
// types them in the sample env: a membership function per list, an int per
// count or distinct counter, a float64 per sum or max counter.
func (c *compiler) declareMemory(s *spec) {
	c.lists, c.counters = map[string]*listSpec{}, map[string]*counterSpec{}
	for i := range s.lists {
		ls := &s.lists[i]
		if c.lists[ls.name] != nil {
			continue // the YAML decoder already refused a repeated key
		}
		c.lists[ls.name] = ls
		c.sample[nameLists+"."+ls.name] = listFunc(nil)
	}
	for i := range s.counters {
		cs := &s.counters[i]
		c.counters[cs.name] = cs
		c.sample[nameCounters+"."+cs.name] = counterSample(cs.agg)
	}
}

// counterSample is a value of a counter's type: count and distinct are whole
// numbers, sum and max are numbers.
func counterSample(agg string) any {
	if agg == AggSum || agg == AggMax {
		return 0.0
	}
	return 0
}

// memberRead handles lists.NAME and counters.NAME in a rule or variable:
// a counter is flattened into its env key; a list is left for the `in` that
// reads it (see listIn), and is an error if nothing does.
func (p *patcher) memberRead(n *ast.Node, id *ast.IdentifierNode, prop *ast.StringNode) {
	path := id.Value + "." + prop.Value
	switch id.Value {
	case nameCounters:
		if p.c.counters[prop.Value] == nil {
			p.errs = append(p.errs, patchErr{from: prop.Location().From, code: CodeUnknownCounter,
				msg: fmt.Sprintf("counter %q is not declared under counters:%s", prop.Value, declared(slices.Collect(maps.Keys(p.c.counters))))})
			return
		}
		p.reads.inputs[path]++
		p.flatten(n, path)
	case nameLists:
		if p.c.lists[prop.Value] == nil {
			p.errs = append(p.errs, patchErr{from: prop.Location().From, code: CodeUnknownList,
				msg: fmt.Sprintf("list %q is not declared under lists:%s", prop.Value, declared(slices.Collect(maps.Keys(p.c.lists))))})
			return
		}
		if p.lists == nil {
			p.lists = map[ast.Node]int{}
		}
		p.lists[*n] = id.Location().From
	}
}

// listIn rewrites `x in lists.NAME` into `"lists.NAME"(x) == true`: a call
// of the list's membership function, typed bool by the comparison. It
// reports whether the node was such a read.
func (p *patcher) listIn(n *ast.Node, x *ast.BinaryNode) bool {
	m, ok := x.Right.(*ast.MemberNode)
	if !ok || x.Operator != "in" {
		return false
	}
	if _, pending := p.lists[m]; !pending {
		return false
	}
	delete(p.lists, m)
	id, prop := m.Node.(*ast.IdentifierNode), m.Property.(*ast.StringNode)
	key := id.Value + "." + prop.Value
	p.reads.inputs[key]++
	p.listCalls++
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: key}, Arguments: []ast.Node{x.Left}}
	ast.Patch(n, &ast.BinaryNode{Operator: "==", Left: call, Right: &ast.BoolNode{Value: true}})
	return true
}

// listArgTypes refuses a list read whose value is a list or a map (`tags in
// lists.x`): a list holds texts, so such a read could never be true.
func (p *patcher) listArgTypes(prog *vm.Program) {
	root := prog.Node()
	ast.Walk(&root, visitorFunc(func(n *ast.Node) {
		call, ok := (*n).(*ast.CallNode)
		if !ok || len(call.Arguments) != 1 {
			return
		}
		id, ok := call.Callee.(*ast.IdentifierNode)
		if !ok || !strings.HasPrefix(id.Value, nameLists+".") {
			return
		}
		if t := call.Arguments[0].Type(); t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			p.errs = append(p.errs, patchErr{from: call.Arguments[0].Location().From, code: CodeExpr,
				msg: fmt.Sprintf("%s holds texts, and this value is %s: to ask for each item, write any(value, # in %s)", id.Value, typeName(t), id.Value)})
		}
	}))
}

// listErrors records a list read other than through `in`.
func (p *patcher) listErrors() {
	for m, from := range p.lists {
		mn := m.(*ast.MemberNode)
		name := mn.Property.(*ast.StringNode).Value
		p.errs = append(p.errs, patchErr{from: from, code: CodeInvalid,
			msg: fmt.Sprintf("lists.%s can only be read as `value in lists.%s` (or `not in`)", name, name)})
	}
	p.lists = nil
	slices.SortFunc(p.errs, func(a, b patchErr) int { return a.from - b.from })
}

func declared(names []string) string {
	if len(names) == 0 {
		return " (the policy declares none)"
	}
	slices.Sort(names)
	return " (declared: " + strings.Join(names, ", ") + ")"
}

// compileCounters compiles the counters' key, where and value expressions,
// type-checked at load: a key is a text, number or bool; where is true or
// false over a past decision (outcome, fired("rule-id"), the report, the
// context); sum and max are over numbers; distinct is over texts, numbers or
// bools, never a map or a list. Each is bounded by the per-rule cost limit.
func (c *compiler) compileCounters(specs []counterSpec, file, policy string) []CounterDecl {
	var out []CounterDecl
	whereEnv := maps.Clone(c.sample)
	whereEnv[nameOutcome] = ""
	whereEnv[nameFired] = firedFunc(nil)
	for _, cs := range specs {
		if cs.bad {
			continue
		}
		what := fmt.Sprintf("counter %q", cs.name)
		cp := &counterProgs{agg: cs.agg}
		all := newReads()
		ok := true
		compileOne := func(s src, part string, base map[string]any, wantBool bool) *vm.Program {
			if s.text == "" && part != "key" {
				return nil
			}
			env := maps.Clone(base) // with the policy's own keys it names (declared context fields, undocumented checks)
			if tree, err := parser.Parse(s.text); err == nil {
				c.addKeys(env, tree.Node)
			}
			out := c.compileAs(s, what+" "+part, wantBool, env, false)
			if out == nil || !c.exprCost(s, what+" "+part, out) {
				ok = false
				return nil
			}
			all.merge(out.reads)
			return out.prog
		}
		cp.key = compileOne(cs.key, "key", c.sample, false)
		if cp.key != nil && !keyType(cp.key.Node().Type()) {
			c.el.add(cs.key.line, cs.key.col, CodeExpr, "%s key: %s gives %s; a key is a text, a number or true/false", what, cs.key.text, typeName(cp.key.Node().Type()))
			ok = false
		}
		cp.where = compileOne(cs.where, "where", whereEnv, true)
		cp.value = compileOne(cs.value, cs.agg, c.sample, false)
		if cp.value != nil {
			t := cp.value.Node().Type()
			switch {
			case (cs.agg == AggSum || cs.agg == AggMax) && !numberType(t):
				hint := ""
				if t == nil || t.Kind() == reflect.Interface {
					hint = "; declare the field's type under context: (amount: number)"
				}
				c.el.add(cs.value.line, cs.value.col, CodeExpr, "%s %s: %s gives %s, not a number%s", what, cs.agg, cs.value.text, typeName(t), hint)
				ok = false
			case cs.agg == AggDistinct && t != nil && (t.Kind() == reflect.Map || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Struct):
				c.el.add(cs.value.line, cs.value.col, CodeExpr, "%s distinct: %s gives %s; distinct counts texts, numbers or true/false, not a map or a list", what, cs.value.text, typeName(t))
				ok = false
			}
		}
		if !ok {
			continue
		}
		cp.layout = newLayout(all, c.ctxDecl, c.lim)
		cp.init(c.lim)
		d := CounterDecl{Name: cs.name, Window: cs.window, Agg: cs.agg, KeyExpr: strings.TrimSpace(cs.key.text),
			ValueExpr: strings.TrimSpace(cs.value.text), WhereExpr: strings.TrimSpace(cs.where.text),
			Position: fmt.Sprintf("%s:%d:%d", file, cs.line, cs.col), Policy: policy, prog: cp}
		d.Definition = definition(&d)
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b CounterDecl) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// listDecls are the policy's lists, in name order.
func listDecls(specs []listSpec, file string) []ListDecl {
	out := make([]ListDecl, 0, len(specs))
	for _, ls := range specs {
		out = append(out, ListDecl{Name: ls.name, Kind: ls.kind, File: ls.file, Description: ls.description,
			Position: fmt.Sprintf("%s:%d:%d", file, ls.line, ls.col)})
	}
	slices.SortFunc(out, func(a, b ListDecl) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// exprCost bounds a counter expression as a rule is bounded: within the
// per-decision cost and allocation limits.
func (c *compiler) exprCost(s src, what string, out *compiled) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			c.el.add(s.line, s.col, CodeCost, "%s: its cost could not be computed (internal error: %v)", what, v)
			ok = false
		}
	}()
	a := &analyzer{lim: c.lim}
	b := a.visit(out.prog.Node())
	if a.err != nil {
		c.el.add(s.line, s.col, CodeCost, "%s: its cost cannot be bounded: %s", what, a.err.msg)
		return false
	}
	units, bytes := saturate(b.cost), saturate(b.bytes+boxBytes*b.cost)
	if units > c.lim.Cost || bytes > c.lim.Memory || saturate(b.items) >= MemoryBudget {
		c.el.add(s.line, s.col, CodeCost, "%s: would cost up to %d units and %d bytes per decision (the limits are %d and %d)", what, units, bytes, c.lim.Cost, c.lim.Memory)
		return false
	}
	return true
}

func keyType(t reflect.Type) bool {
	if t == nil {
		return true
	}
	switch t.Kind() {
	case reflect.Interface, reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64:
		return true
	}
	return false
}

func numberType(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func typeName(t reflect.Type) string {
	if t == nil || t.Kind() == reflect.Interface {
		return "a value of unknown type"
	}
	switch t.Kind() {
	case reflect.Map:
		return "a map"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a text"
	case reflect.Bool:
		return "true/false"
	case reflect.Struct:
		return "a " + t.String()
	}
	if numberType(t) {
		return "a number"
	}
	return t.String()
}

// definition is a counter's canonical text: "key user_id, window 7d, count,
// where outcome == \"deny\"".
func definition(d *CounterDecl) string {
	var b strings.Builder
	fmt.Fprintf(&b, "key %s, window %s, %s", d.KeyExpr, FormatWindow(d.Window), d.Agg)
	if d.ValueExpr != "" {
		fmt.Fprintf(&b, " %s", d.ValueExpr)
	}
	if d.WhereExpr != "" {
		fmt.Fprintf(&b, ", where %s", d.WhereExpr)
	}
	return b.String()
}

// FormatWindow writes a window as a policy would: 7d, 24h, 90m, 1h30m.
func FormatWindow(w time.Duration) string {
	const day = 24 * time.Hour
	if w >= day && w%day == 0 {
		return fmt.Sprintf("%dd", w/day)
	}
	s := w.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
