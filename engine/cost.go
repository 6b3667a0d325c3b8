package engine

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// The static cost of an expression is its worst case over every report and
// context within the input limits (Limits.InputString, InputItems), computed
// at load on the tree expr compiled (variables inlined, types checked,
// optimized), so it counts what runs. It is in cost units, about one VM step
// each: a node costs one; a predicate builtin (all, any, filter, map, count,
// ...) costs its collection's length times its predicate's cost; builtins and
// operators that walk text cost its length over 16; ranges, lists, maps and
// texts that an expression builds count their size in bytes. A value's bound
// (text length, list length and element bound, integer range) flows through
// let, variables and predicates, so `let xs = 1..400` is a list of 400 and
// `let b = a + a` twice a's length. What cannot be bounded (a range whose ends
// are not bounded integers, repeat with an unbounded count, toJSON or flatten
// of a value of unknown shape, reduce building a text or a list) is refused.

// bound is the worst case of evaluating one expression, and of its value.
type bound struct {
	cost  float64 // work, in cost units
	bytes float64 // bytes allocated
	items float64 // items of the VM's memory budget (ranges, lists, maps, loop scopes)

	size   float64 // the value's length: bytes of a text, entries of a list or map; 0 for a scalar
	elem   *bound  // a list's elements or a map's values; nil for a scalar or text
	isInt  bool    // an integer within [lo, hi]
	lo, hi float64
}

// costError is a part of an expression whose cost cannot be bounded.
type costError struct {
	node ast.Node
	msg  string
}

// analyzer computes bounds over one compiled tree.
type analyzer struct {
	lim   Limits
	lets  []letScope
	preds []predScope
	err   *costError
	loops bool
}

type letScope struct {
	name string
	b    *bound
}

type predScope struct {
	elem, acc *bound
	n         float64
}

// flat is the bound of a value with no length.
func flat(cost float64) *bound { return &bound{cost: cost} }

// text is the bound of a text of up to n bytes.
func text(n float64) *bound { return &bound{cost: 1, size: n} }

// intIn is the bound of an integer in [lo, hi].
func intIn(lo, hi float64) *bound { return &bound{cost: 1, isInt: true, lo: lo, hi: hi} }

// listOf is the bound of a list or map of up to n entries bounded by elem.
func listOf(n float64, elem *bound) *bound { return &bound{cost: 1, size: n, elem: elem} }

// value is b's value alone, at no cost: what reading a bound name gives.
func (b *bound) value() *bound {
	return &bound{cost: 1, size: b.size, elem: b.elem, isInt: b.isInt, lo: b.lo, hi: b.hi}
}

// unknown is the bound of a value of unknown shape (the context, an
// undeclared context field): any text, list or map within the input limits,
// nested to any depth.
func (a *analyzer) unknown() *bound {
	u := &bound{cost: 1, size: float64(max(a.lim.InputString, a.lim.InputItems))}
	u.elem = u
	return u
}

// input is the bound of an env name: the report's fields, the checks, the
// declared context fields, the decision's time.
func (a *analyzer) input(name string) *bound {
	word := text(float64(len(reportCheckWordMax)))
	switch name {
	case "risk_score":
		return intIn(0, 100)
	case "risk_explanation", "recommended_action", "user_id", "session_id":
		return text(float64(a.lim.InputString))
	case "tags":
		return listOf(float64(a.lim.InputItems), text(float64(a.lim.InputString)))
	case nameDevice, nameBiometric:
		return listOf(float64(a.lim.InputItems), word)
	case nameContext:
		return a.unknown()
	case nowKey:
		return flat(1)
	}
	if strings.HasPrefix(name, nameContext+".") {
		return text(float64(a.lim.InputString)) // a declared field: a number, a bool or a text
	}
	if strings.HasPrefix(name, nameDevice+".") || strings.HasPrefix(name, nameBiometric+".") {
		return word
	}
	return a.unknown()
}

// reportCheckWordMax is the longest check value.
const reportCheckWordMax = "Not detected"

// fail records the first part that cannot be bounded and returns an
// unbounded bound.
func (a *analyzer) fail(n ast.Node, format string, args ...any) *bound {
	if a.err == nil {
		a.err = &costError{node: n, msg: fmt.Sprintf(format, args...)}
	}
	inf := math.Inf(1)
	return &bound{cost: inf, bytes: inf, items: inf}
}

// add adds the cost of children to b.
func (b *bound) add(children ...*bound) *bound {
	for _, c := range children {
		b.cost += c.cost
		b.bytes += c.bytes
		b.items += c.items
	}
	return b
}

// union is a bound of either value (the two branches of a conditional).
func union(x, y *bound) *bound {
	if x == nil {
		return y
	}
	if y == nil || x == y {
		return x
	}
	u := &bound{size: max(x.size, y.size), isInt: x.isInt && y.isInt, lo: min(x.lo, y.lo), hi: max(x.hi, y.hi)}
	switch {
	case x.elem == nil:
		u.elem = y.elem
	case y.elem == nil || x.elem == y.elem:
		u.elem = x.elem
	case x.elem == x || y.elem == y:
		u.elem = x.elem // unknown shape
		if y.elem == y {
			u.elem = y.elem
		}
	default:
		u.elem = union(x.elem, y.elem)
	}
	return u
}

// visit returns the bound of a node.
func (a *analyzer) visit(n ast.Node) *bound {
	switch x := n.(type) {
	case nil:
		return flat(0)
	case *ast.NilNode, *ast.BoolNode, *ast.FloatNode:
		return flat(1)
	case *ast.IntegerNode:
		return intIn(float64(x.Value), float64(x.Value))
	case *ast.StringNode:
		return text(float64(len(x.Value)))
	case *ast.ConstantNode:
		return constBound(reflect.ValueOf(x.Value))
	case *ast.IdentifierNode:
		for i := len(a.lets) - 1; i >= 0; i-- {
			if a.lets[i].name == x.Value {
				return a.lets[i].b.value()
			}
		}
		b := a.input(x.Value)
		if scalarType(x.Type()) && !b.isInt {
			return flat(1) // a number or a boolean: a declared context field, say
		}
		return b
	case *ast.PointerNode:
		if len(a.preds) == 0 {
			return a.unknown()
		}
		p := a.preds[len(a.preds)-1]
		switch x.Name {
		case "index":
			return intIn(0, p.n)
		case "acc":
			if p.acc != nil {
				return p.acc.value()
			}
		}
		return p.elem.value()
	case *ast.UnaryNode:
		c := a.visit(x.Node)
		b := &bound{cost: 1}
		if x.Operator == "-" && c.isInt {
			b.isInt, b.lo, b.hi = true, -c.hi, -c.lo
		} else if x.Operator == "+" {
			b.isInt, b.lo, b.hi = c.isInt, c.lo, c.hi
		}
		return b.add(c)
	case *ast.BinaryNode:
		return a.binary(x)
	case *ast.ChainNode:
		return a.visit(x.Node)
	case *ast.MemberNode:
		obj, prop := a.visit(x.Node), a.visit(x.Property)
		var b *bound
		switch {
		case obj.elem != nil:
			b = obj.elem.value()
		case obj.size > 0:
			b = text(1) // a byte of a text
		default:
			b = a.unknown() // a field of a struct such as a time: small, but say unknown
			b.size = 64
		}
		b.cost = 2
		return b.add(obj, prop)
	case *ast.SliceNode:
		obj := a.visit(x.Node)
		b := obj.value()
		b.cost = 3
		return b.add(obj, a.visit(x.From), a.visit(x.To))
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && id.Value == tickName {
			return flat(3) // the loop guard
		}
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && strings.HasPrefix(id.Value, nameLists+".") && len(x.Arguments) == 1 {
			return a.listRead(x.Arguments[0])
		}
		// Only methods of values (a time's Year, Format, In) are callable:
		// verdict registers no functions. Their output is small.
		b := &bound{cost: 10, size: 64}
		b.add(a.visit(x.Callee))
		for _, arg := range x.Arguments {
			c := a.visit(arg)
			b.size += 8 * c.size
			b.add(c)
		}
		b.bytes += b.size
		return b
	case *ast.BuiltinNode:
		return a.builtin(x)
	case *ast.PredicateNode:
		return a.visit(x.Node)
	case *ast.ConditionalNode:
		c, e1, e2 := a.visit(x.Cond), a.visit(x.Exp1), a.visit(x.Exp2)
		b := union(e1, e2)
		b.cost, b.bytes, b.items = 1+c.cost+max(e1.cost, e2.cost), c.bytes+max(e1.bytes, e2.bytes), c.items+max(e1.items, e2.items)
		return b
	case *ast.VariableDeclaratorNode:
		v := a.visit(x.Value)
		a.lets = append(a.lets, letScope{name: x.Name, b: v})
		e := a.visit(x.Expr)
		a.lets = a.lets[:len(a.lets)-1]
		b := e.value()
		b.cost = 1
		return b.add(v, e)
	case *ast.SequenceNode:
		b := flat(0)
		var last *bound
		for _, c := range x.Nodes {
			last = a.visit(c)
			b.add(last)
		}
		if last != nil {
			v := last.value()
			v.cost = 0
			return v.add(b)
		}
		return b
	case *ast.ArrayNode:
		var elem *bound
		b := &bound{cost: 1}
		for _, c := range x.Nodes {
			cb := a.visit(c)
			elem = union(elem, cb.value())
			b.add(cb)
		}
		if elem == nil {
			elem = flat(0)
		}
		n := float64(len(x.Nodes))
		b.size, b.elem = n, elem
		b.bytes += 16*n + 24
		b.items += n
		return b
	case *ast.MapNode:
		var elem *bound
		b := &bound{cost: 1}
		for _, c := range x.Pairs {
			pb := a.visit(c)
			elem = union(elem, pb.value())
			b.add(pb)
		}
		if elem == nil {
			elem = flat(0)
		}
		n := float64(len(x.Pairs))
		b.size, b.elem = n, elem
		b.bytes += 64*n + 48
		b.items += n
		return b
	case *ast.PairNode:
		k, v := a.visit(x.Key), a.visit(x.Value)
		b := v.value()
		b.cost = 1
		return b.add(k, v)
	}
	return a.fail(n, "%T cannot be bounded", n)
}

// scalarType reports whether values of type t have no length (numbers,
// booleans); nil (unknown) is not.
func scalarType(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// constBound is the bound of a constant the optimizer folded.
func constBound(v reflect.Value) *bound {
	switch v.Kind() {
	case reflect.String:
		return text(float64(v.Len()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intIn(float64(v.Int()), float64(v.Int()))
	case reflect.Slice, reflect.Array:
		var elem *bound
		for i := range v.Len() {
			elem = union(elem, constBound(v.Index(i)))
		}
		if elem == nil {
			elem = flat(0)
		}
		return listOf(float64(v.Len()), elem)
	case reflect.Map:
		var elem *bound
		for _, k := range v.MapKeys() {
			elem = union(elem, constBound(v.MapIndex(k)))
		}
		if elem == nil {
			elem = flat(0)
		}
		return listOf(float64(v.Len()), elem)
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return flat(1)
		}
		return constBound(v.Elem())
	}
	return flat(1)
}
