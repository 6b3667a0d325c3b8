package engine

import (
	"math"

	"github.com/expr-lang/expr/ast"
)

// binary is the bound of an operator.
func (a *analyzer) binary(x *ast.BinaryNode) *bound {
	l, r := a.visit(x.Left), a.visit(x.Right)
	b := &bound{cost: 1}
	b.add(l, r)
	switch x.Operator {
	case "..":
		if !l.isInt || !r.isInt || math.IsInf(r.hi, 0) || math.IsInf(l.lo, 0) {
			return a.fail(x, "a range needs ends that are bounded integers (constants, risk_score or len(...)), so that its length is known")
		}
		n := max(0, r.hi-l.lo+1)
		b.size, b.elem = n, intIn(l.lo, r.hi)
		b.cost += n
		b.bytes += 8 * n
		b.items += n
	case "+":
		switch {
		case scalarType(x.Type()) && !(l.isInt && r.isInt):
			// numbers added
		case l.isInt && r.isInt:
			b.isInt, b.lo, b.hi = true, l.lo+r.lo, l.hi+r.hi
		case l.elem != nil || r.elem != nil: // two lists joined
			b.size, b.elem = l.size+r.size, union(l.elem, r.elem)
			b.cost += b.size
			b.bytes += 16 * b.size
			b.items += b.size
		case l.size > 0 || r.size > 0: // two texts joined
			b.size = l.size + r.size
			b.cost += b.size / 16
			b.bytes += b.size
		}
	case "-":
		if l.isInt && r.isInt {
			b.isInt, b.lo, b.hi = true, l.lo-r.hi, l.hi-r.lo
		}
	case "*":
		if l.isInt && r.isInt {
			c := []float64{l.lo * r.lo, l.lo * r.hi, l.hi * r.lo, l.hi * r.hi}
			b.isInt, b.lo, b.hi = true, min(c[0], c[1], c[2], c[3]), max(c[0], c[1], c[2], c[3])
		}
	case "in", "not in":
		b.cost += r.size
	case "matches", "not matches":
		b.cost += (l.size + 1) * (r.size + 1) / 4
		if _, constant := x.Right.(*ast.StringNode); !constant {
			b.cost += 10 * r.size // compiling the pattern
			b.bytes += 64 * r.size
		}
	case "contains", "startsWith", "endsWith", "not contains", "not startsWith", "not endsWith":
		b.cost += (l.size + r.size) / 4
	case "==", "!=", "<", ">", "<=", ">=":
		b.cost += min(l.size, r.size) / 16
		if l.elem != nil && r.elem != nil {
			b.cost += min(l.size, r.size) // lists compared deeply
		}
	case "??":
		u := union(l.value(), r.value())
		u.cost, u.bytes, u.items = b.cost, b.bytes, b.items
		return u
	}
	return b
}

// buildUnits is the cost of adding one entry to a list a builtin builds
// (appending, and boxing a number into it): measured, map and filter spend
// about twice as long per step as loops that build nothing.
const buildUnits = 6

// predicates are the builtins that run a predicate over a collection.
var predicates = map[string]bool{"all": true, "none": true, "any": true, "one": true, "filter": true, "map": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true, "count": true, "sum": true,
	"groupBy": true, "sortBy": true, "reduce": true}

// builtin is the bound of a builtin function call.
func (a *analyzer) builtin(x *ast.BuiltinNode) *bound {
	if predicates[x.Name] {
		return a.predicate(x)
	}
	args := make([]*bound, len(x.Arguments))
	b := &bound{cost: 5}
	for i, arg := range x.Arguments {
		args[i] = a.visit(arg)
		b.add(args[i])
	}
	arg := func(i int) *bound {
		if i < len(args) {
			return args[i]
		}
		return flat(0)
	}
	s := arg(0)
	grow := func(size float64, elem *bound) *bound { // an output of size bytes (elem nil) or entries
		b.size, b.elem = size, elem
		if elem != nil {
			b.cost += size
			b.bytes += 16*size + 24
			b.items += size
		} else {
			b.cost += size / 16
			b.bytes += size
		}
		return b
	}
	switch x.Name {
	case "len":
		b.isInt, b.lo, b.hi = true, 0, s.size
	case "type", "abs", "ceil", "floor", "round", "int", "float", "bitnot", "now", "duration", "date", "timezone":
		b.cost += s.size / 16
	case "first", "last", "get":
		e := a.unknown()
		if s.elem != nil {
			e = s.elem.value()
		}
		e.cost = 0
		return e.add(b)
	case "trim", "trimPrefix", "trimSuffix":
		return grow(s.size, nil)
	case "upper", "lower":
		return grow(3*s.size, nil) // a rune may change its length when its case does
	case "split", "splitAfter":
		grow(s.size+1, text(s.size))
		b.bytes += s.size
		return b
	case "replace":
		return grow((s.size+1)*(arg(2).size+1), nil)
	case "repeat":
		n := arg(1)
		if !n.isInt || math.IsInf(n.hi, 0) {
			return a.fail(x, "repeat needs a count that is a bounded integer (a constant), so that its output is bounded")
		}
		return grow(s.size*max(0, n.hi), nil)
	case "join":
		e := flat(0)
		if s.elem != nil {
			e = s.elem
		}
		if e == s.elem && s.elem.elem == s.elem {
			return a.fail(x, "join of a list of unknown shape cannot be bounded")
		}
		return grow(s.size*(e.size+arg(1).size+8), nil)
	case "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix":
		b.cost += (s.size + arg(1).size) / 4
		b.isInt, b.lo, b.hi = true, -1, s.size
	case "max", "min", "mean", "median":
		if len(args) == 1 {
			b.cost += s.size
			if x.Name == "median" {
				b.cost += s.size * math.Log2(s.size+1)
				b.bytes += 8 * s.size
			}
		}
	case "toJSON", "string", "toBase64", "fromBase64":
		n := serialSize(s, 0)
		if math.IsInf(n, 0) {
			return a.fail(x, "%s of a value of unknown shape (the whole context, an undeclared context field) cannot be bounded; name the fields you need", x.Name)
		}
		if x.Name == "toBase64" {
			n = s.size*4/3 + 4
		}
		return grow(n, nil)
	case "fromJSON":
		u := a.unknown()
		u.size = s.size
		u.cost = 0
		u.add(b)
		u.cost += s.size
		u.bytes += 8 * s.size
		u.items += s.size
		return u
	case "keys", "values", "reverse", "uniq", "take":
		e := a.unknown()
		if s.elem != nil {
			e = s.elem
		}
		if x.Name == "keys" {
			e = text(float64(a.lim.InputString))
		}
		return grow(s.size, e)
	case "toPairs":
		e := flat(0)
		if s.elem != nil {
			e = s.elem
		}
		grow(s.size, listOf(2, e))
		b.bytes += 48 * s.size
		b.items += 2 * s.size
		return b
	case "fromPairs":
		e := flat(0)
		if s.elem != nil && s.elem.elem != nil {
			e = s.elem.elem
		}
		grow(s.size, e)
		b.bytes += 48 * s.size
		return b
	case "sort":
		e := flat(0)
		if s.elem != nil {
			e = s.elem
		}
		grow(s.size, e)
		b.cost += s.size * math.Log2(s.size+1)
		return b
	case "concat":
		var n float64
		var e *bound
		for _, c := range args {
			n += c.size
			e = union(e, c.elem)
		}
		if e == nil {
			e = flat(0)
		}
		return grow(n, e)
	case "flatten":
		n := leaves(s, 0)
		if math.IsInf(n, 0) {
			return a.fail(x, "flatten of a list of unknown shape cannot be bounded")
		}
		return grow(n, flat(1))
	default:
		return a.fail(x, "builtin %s is not bounded by verdict; it cannot be used in a policy", x.Name)
	}
	return b
}

// predicate is the bound of a builtin that runs a predicate over each entry
// of a collection: the collection's length times the predicate's cost.
func (a *analyzer) predicate(x *ast.BuiltinNode) *bound {
	if len(x.Arguments) == 0 {
		return a.fail(x, "%s without arguments", x.Name)
	}
	coll := a.visit(x.Arguments[0])
	if !literalCollection(x.Arguments[0]) {
		a.loops = true
	}
	n := coll.size
	elem := coll.elem
	if elem == nil {
		elem = a.unknown()
	}
	b := &bound{cost: 3}
	b.add(coll)
	var acc *bound
	if x.Name == "reduce" && len(x.Arguments) > 2 {
		acc = a.visit(x.Arguments[2])
		b.add(acc)
	} else if x.Name == "reduce" {
		acc = elem
	}
	body := flat(0)
	if len(x.Arguments) > 1 {
		a.preds = append(a.preds, predScope{elem: elem, acc: acc, n: n})
		body = a.visit(x.Arguments[1])
		if x.Map != nil { // the optimizer folded a map() into this builtin
			m := a.visit(x.Map)
			body.add(m)
			elem = m.value()
		}
		a.preds = a.preds[:len(a.preds)-1]
	}
	b.cost += n * (body.cost + 3)
	b.bytes += n * body.bytes
	b.items += n * body.items
	switch x.Name {
	case "filter", "sortBy":
		b.size, b.elem = n, elem
		b.cost += buildUnits * n
		b.bytes += 16*n + 24
		b.items += n
		if x.Name == "sortBy" {
			b.cost += n * math.Log2(n+1)
		}
	case "map":
		b.size, b.elem = n, body.value()
		b.cost += buildUnits * n
		b.bytes += 16*n + 24
		b.items += n
	case "groupBy":
		b.size, b.elem = n, listOf(n, elem)
		b.cost += 2 * buildUnits * n
		b.bytes += 80*n + 48
		b.items += 2 * n
	case "find", "findLast":
		e := elem.value()
		e.cost = 0
		return e.add(b)
	case "findIndex", "findLastIndex", "count":
		b.isInt, b.lo, b.hi = true, -1, n
	case "reduce":
		if body.size > 0 || body.elem != nil {
			return a.fail(x, "reduce that builds a text or a list cannot be bounded; use map, filter or join")
		}
	}
	return b
}

// literalCollection reports whether a collection is written out in the
// expression (a list literal or a constant), so that a loop over it runs a
// number of times fixed at load.
func literalCollection(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.ArrayNode, *ast.ConstantNode:
		return true
	case *ast.BinaryNode:
		_, l := x.Left.(*ast.IntegerNode)
		_, r := x.Right.(*ast.IntegerNode)
		return x.Operator == ".." && l && r
	}
	return false
}

// serialSize is the most bytes a value writes as JSON; +Inf for a value of
// unknown shape.
func serialSize(b *bound, depth int) float64 {
	if b.elem == b || depth > 100 {
		return math.Inf(1)
	}
	if b.elem == nil {
		return 2*b.size + 32 // a text escaped, or a number
	}
	return b.size * (serialSize(b.elem, depth+1) + 2*float64(64) + 4) // entries, with keys
}

// leaves is the most entries a list has once flattened; +Inf for a list of
// unknown shape.
func leaves(b *bound, depth int) float64 {
	if b.elem == b || depth > 100 {
		return math.Inf(1)
	}
	if b.elem == nil {
		return 1
	}
	return max(1, b.size) * leaves(b.elem, depth+1)
}
