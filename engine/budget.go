package engine

import (
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// The policy-wide node budget, and the per-expression env: what keeps a
// policy's load time linear in its size.

// spend counts the nodes of an expression about to be compiled against the
// policy's budget (Limits.TotalNodes), recording one load error, and
// stopping all further compiling, when they take it over: compiling costs
// about 3 µs of CPU a node, so the budget bounds the time a policy takes to
// load whatever its number of rules and variables.
func (c *compiler) spend(n int, s src, what string) bool {
	if c.full {
		return false
	}
	c.nodes += n
	if c.nodes <= c.lim.TotalNodes {
		return true
	}
	c.full = true
	c.el.add(s.line, s.col, CodeLimit, "%s: the policy's expressions come to over %d nodes here, with their variables written out into each rule; the limit is %d: share less through variables, or split the policy", what, c.lim.TotalNodes, c.lim.TotalNodes)
	return false
}

// addKeys adds to env the policy's own keys (declared context fields,
// undocumented checks) that an expression names, itself or through its
// variables.
func (c *compiler) addKeys(env map[string]any, n ast.Node) {
	if len(c.keys) == 0 {
		return
	}
	ast.Walk(&n, visitorFunc(func(node *ast.Node) {
		switch x := (*node).(type) {
		case *ast.MemberNode:
			id, ok := x.Node.(*ast.IdentifierNode)
			prop, ok2 := x.Property.(*ast.StringNode)
			if ok && ok2 {
				if v, known := c.keys[id.Value+"."+prop.Value]; known {
					env[id.Value+"."+prop.Value] = v
				}
			}
		case *ast.IdentifierNode:
			if v := c.vars[x.Value]; v != nil && v.ok {
				for path := range v.reads.inputs {
					if val, known := c.keys[path]; known {
						env[path] = val
					}
				}
			}
		}
	}))
}

// inlinedSize is the size of an expression once its variables are written
// out, for spend; parsing it costs little beside compiling it.
func (c *compiler) inlinedSize(s src) int {
	tree, err := parser.Parse(s.text)
	if err != nil {
		return 1 // the compile reports the syntax error
	}
	n := 0
	ast.Walk(&tree.Node, visitorFunc(func(node *ast.Node) {
		if id, ok := (*node).(*ast.IdentifierNode); ok {
			if v := c.vars[id.Value]; v != nil && v.ok {
				n += v.size
				return
			}
		}
		n++
	}))
	return n
}
