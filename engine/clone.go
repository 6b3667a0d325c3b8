package engine

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// nodeType and nodesType are the field types cloneNode descends into.
var (
	nodeType      = reflect.TypeFor[ast.Node]()
	nodesType     = reflect.TypeFor[[]ast.Node]()
	predicateType = reflect.TypeFor[*ast.PredicateNode]()
)

// cloneNode returns a deep copy of a syntax tree that has not been
// type-checked, every node of it at loc: every node is copied, so the checker and the optimizer, which
// write into the nodes they are given, never touch the original. A
// variable's tree is kept once and cloned for each use; copying it costs its
// size, where parsing and patching its text again for each use made a chain
// of variables quadratic to load. Constant values (ConstantNode.Value) are
// shared: nothing writes into them. A rule inlining a variable puts the copy
// at the place the rule names the variable, so that whatever is found in it
// (a type error, a cost that cannot be bounded) points there.
func cloneNode(n ast.Node, loc file.Location) ast.Node {
	if n == nil {
		return nil
	}
	src := reflect.ValueOf(n)
	if src.Kind() != reflect.Pointer || src.IsNil() {
		return n
	}
	dst := reflect.New(src.Elem().Type())
	dst.Elem().Set(src.Elem())
	cloneFields(dst.Elem(), loc)
	out := dst.Interface().(ast.Node)
	out.SetLocation(loc)
	return out
}

// cloneFields replaces, in a copied node, every child node by a copy.
func cloneFields(v reflect.Value, loc file.Location) {
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		switch f.Type() {
		case nodeType:
			if !f.IsNil() {
				f.Set(reflect.ValueOf(cloneNode(f.Interface().(ast.Node), loc)))
			}
		case nodesType:
			if f.IsNil() {
				continue
			}
			in := f.Interface().([]ast.Node)
			out := make([]ast.Node, len(in))
			for j, c := range in {
				out[j] = cloneNode(c, loc)
			}
			f.Set(reflect.ValueOf(out))
		case predicateType:
			if !f.IsNil() {
				f.Set(reflect.ValueOf(cloneNode(f.Interface().(ast.Node), loc)))
			}
		}
	}
}
