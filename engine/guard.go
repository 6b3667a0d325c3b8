package engine

import (
	"errors"
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// The static cost (cost.go) keeps every policy that loads within the limits.
// The guard is defence in depth, should an expression escape that bound: every
// loop over a collection that is not written out in the expression (a list
// literal, a range of two constants) counts its iterations against the
// decision's budget, and stops the rule with an error past it, so the rule is
// recorded as failed and the decision falls to on_error instead of running on.

// guard counts one decision's loop iterations.
type guard struct {
	n, limit int64
}

// guardKey is the env key of the evaluator's guard, and tickName the function
// each guarded loop calls once per iteration; no expression can name either.
const (
	guardKey = "$guard"
	tickName = "$tick"
)

// errBudget ends a rule whose loops ran past the decision's budget.
var errBudget = errors.New("evaluation stopped: its loops ran past the decision's budget")

// tick is the guard's function: one more iteration.
func tick(params ...any) (any, error) {
	g, ok := params[0].(*guard)
	if !ok || g == nil {
		return nil, nil
	}
	g.n++
	if g.n > g.limit {
		return nil, fmt.Errorf("%w (%d iterations)", errBudget, g.limit)
	}
	return true, nil
}

// tickOption registers tick with expr.
var tickOption = expr.Function(tickName, tick, new(func(*guard) bool))

// guardLoop makes a predicate builtin over a collection that is not a literal
// call tick before each run of its predicate.
func guardLoop(x *ast.BuiltinNode) {
	if !predicates[x.Name] || len(x.Arguments) < 2 || literalCollection(x.Arguments[0]) {
		return
	}
	pred, ok := x.Arguments[1].(*ast.PredicateNode)
	if !ok {
		return
	}
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: tickName}, Arguments: []ast.Node{&ast.IdentifierNode{Value: guardKey}}}
	pred.Node = &ast.SequenceNode{Nodes: []ast.Node{call, pred.Node}}
}
