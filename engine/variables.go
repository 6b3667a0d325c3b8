package engine

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/verdicthq/verdict/report"
)

// variable is a named expression; rules use it by name and get it inlined.
type variable struct {
	spec  varSpec
	state int // 0 not compiled, 1 compiling, 2 done
	ok    bool
	size  int      // nodes once its own variables are inlined, at most lim.Nodes+1
	tree  ast.Node // patched, its variables inlined by reference: only ever cloned, never compiled itself
	reads reads    // what it reads, through its variables too
	value any      // a value of its type, for checking the variables that use it
}

// variableTree returns a fresh copy of a variable's patched tree for
// inlining at loc, with the paths it reads; ok is false when the variable
// does not compile.
func (c *compiler) variableTree(name string, loc file.Location) (ast.Node, reads, bool) {
	v := c.vars[name]
	if !v.ok || v.tree == nil {
		return nil, reads{}, false
	}
	return cloneNode(v.tree, loc), v.reads, true
}

// compileVariables compiles every variable (in dependency order, catching
// cycles) so that rules can inline them.
func (c *compiler) compileVariables(specs []varSpec) {
	reserved := reservedNames()
	for _, vs := range specs {
		switch {
		case !identRE.MatchString(vs.name):
			c.el.add(vs.line, vs.col, CodeInvalid, "variable %q: use letters, digits and '_', starting with a letter", vs.name)
			continue
		case reserved[vs.name]:
			c.el.add(vs.line, vs.col, CodeInvalid, "variable %q: the name is taken by a report field or an expr function; choose another", vs.name)
			continue
		case c.vars[vs.name] != nil:
			c.el.add(vs.line, vs.col, CodeDuplicate, "variable %q is defined twice", vs.name)
			continue
		}
		c.vars[vs.name] = &variable{spec: vs}
	}
	for _, vs := range specs {
		if v := c.vars[vs.name]; v != nil && v.spec.line == vs.line {
			c.compileVariable(v, nil)
		}
	}
}

func (c *compiler) compileVariable(v *variable, chain []string) {
	switch v.state {
	case 2:
		return
	case 1:
		cycle := append(slices.Clone(chain), v.spec.name)
		c.el.add(v.spec.line, v.spec.col, CodeVariableCycle, "variable %q uses itself: %s", v.spec.name, strings.Join(cycle, " -> "))
		v.state, v.ok = 2, false
		return
	}
	v.state = 1
	if c.full {
		v.state, v.ok = 2, false
		return
	}
	what := fmt.Sprintf("variable %q", v.spec.name)
	if !c.checkText(v.spec.expr, what) {
		v.state, v.ok = 2, false
		return
	}
	// Compile the variables it names first, so that it can be checked
	// against their types and inlined from their trees.
	tree, err := parser.Parse(v.spec.expr.text)
	env := maps.Clone(c.sample)
	own := 0
	if err == nil {
		ast.Walk(&tree.Node, visitorFunc(func(n *ast.Node) {
			own++
			if id, ok := (*n).(*ast.IdentifierNode); ok {
				if dep := c.vars[id.Value]; dep != nil && dep != v {
					c.compileVariable(dep, append(chain, v.spec.name))
					env[id.Value] = dep.value
				} else if dep == v {
					c.el.add(v.spec.line, v.spec.col, CodeVariableCycle, "variable %q uses itself", v.spec.name)
					v.state = 2
				}
			}
		}))
	}
	if v.state == 2 {
		return
	}
	if err == nil {
		c.addKeys(env, tree.Node)
	}
	if !c.spend(own, v.spec.expr, what) {
		v.state, v.ok = 2, false
		return
	}
	out := c.compileAs(v.spec.expr, what, false, env, false)
	v.state, v.ok = 2, out != nil
	if !v.ok {
		return
	}
	v.value = sampleOf(out.prog.Node().Type())
	// The tree rules inline: its own, patched, with its variables' trees
	// put in by reference (they are cloned whole when a rule inlines it).
	p := &patcher{c: c, src: []rune(v.spec.expr.text), reads: newReads(), byReference: true}
	ast.Walk(&tree.Node, p)
	if p.brokenVar != "" || len(p.errs) > 0 {
		c.patchErrors(p, v.spec.expr, what)
		v.ok = false
		return
	}
	v.tree, v.reads, v.size = tree.Node, p.reads, p.inlined+p.visited
}

// sampleOf is a value of type t for the sample env, so that an expression
// naming a variable is checked against the variable's type; nil (any type)
// when t is unknown.
func sampleOf(t reflect.Type) any {
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	return reflect.Zero(t).Interface()
}

type visitorFunc func(*ast.Node)

func (f visitorFunc) Visit(n *ast.Node) { f(n) }

func reservedNames() map[string]bool {
	r := map[string]bool{"true": true, "false": true, "nil": true, "not": true, "and": true, "or": true,
		"in": true, "matches": true, "contains": true, "startsWith": true, "endsWith": true, "let": true, "if": true, "else": true}
	for _, n := range rootNames {
		r[n] = true
	}
	for _, n := range []string{nameLists, nameCounters, nameOutcome, nameFired} {
		r[n] = true
	}
	for _, f := range builtin.Builtins {
		r[f.Name] = true
	}
	return r
}

// knownChecks returns the documented check names of a group.
func knownChecks(group string) []string {
	if group == nameDevice {
		return report.DeviceCheckNames
	}
	return report.BiometricCheckNames
}
