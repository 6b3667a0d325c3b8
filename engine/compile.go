package engine

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/verdicthq/verdict/report"
	"gopkg.in/yaml.v3"
)

// Limits on expressions. MaxNodes bounds the size of one rule after its
// variables are inlined, so a policy cannot compile into something huge;
// MemoryBudget bounds what one expression may allocate at run time (ranges,
// arrays, maps built by filter/map), so no report or context can make a rule
// eat memory; going over it is a rule error and the decision falls to on_error.
const (
	MaxNodes     = 2000
	MemoryBudget = 100_000
)

// compiler compiles the expressions of one policy file.
type compiler struct {
	lim       Limits
	el        *errList
	lines     []string // the file's lines, for block scalar indentation
	vars      map[string]*variable
	ctxTypes  map[string]string
	sample    map[string]any          // the typed env the checker sees
	badText   map[[2]int]bool         // expressions over a text limit, by position (see checkText)
	nodes     int                     // expression nodes compiled so far, variables written out (see spend)
	suggested int                     // suggestions looked for so far (see suggest)
	full      bool                    // nodes went over lim.TotalNodes: nothing more is compiled
	lists     map[string]*listSpec    // declared lists, for lists.NAME
	counters  map[string]*counterSpec // declared counters, for counters.NAME
	ctxDecl   []ctxField              // declared context fields
	noMemory  bool                    // compiling a counter's expressions: lists and counters are not names there
}

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

// compiled is one compiled expression and what it reads.
type compiled struct {
	prog  *vm.Program
	reads reads
}

// compile compiles one expression; what names it in errors ("rule \"x\"").
// It returns nil after recording errors.
func (c *compiler) compile(s src, what string, wantBool bool) *compiled {
	return c.compileAs(s, what, wantBool, c.sample, true)
}

// compileAs is compile against env. With inline false, the variables an
// expression uses stay names, typed in env: that is how a variable is checked
// on its own, in time linear in its own size however long its chain of
// variables.
func (c *compiler) compileAs(s src, what string, wantBool bool, env map[string]any, inline bool) *compiled {
	if strings.TrimSpace(s.text) == "" {
		c.el.add(s.line, s.col, CodeMissing, "%s: empty expression", what)
		return nil
	}
	if !c.checkText(s, what) {
		return nil
	}
	p := &patcher{c: c, src: []rune(s.text), reads: newReads(), noInline: !inline, noMemory: c.noMemory}
	opts := []expr.Option{expr.Env(env), expr.Patch(p), expr.DisableBuiltin("now"), expr.Timezone("UTC"), tickOption, expr.MaxNodes(uint(c.lim.Nodes))}
	if wantBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(s.text, opts...)
	if len(p.lists) > 0 {
		p.listErrors()
	}
	if p.brokenVar != "" {
		c.el.add(s.line, s.col, CodeExpr, "%s: uses variable %q, which has errors", what, p.brokenVar)
		return nil
	}
	if len(p.errs) > 0 {
		c.patchErrors(p, s, what)
		return nil
	}
	if err != nil {
		c.exprError(s, what, err)
		return nil
	}
	return &compiled{prog: prog, reads: p.reads}
}

// patchErrors records the patcher's errors at their positions in the file.
func (c *compiler) patchErrors(p *patcher, s src, what string) {
	for _, e := range p.errs {
		line, col := offsetToLineCol(p.src, e.from)
		l, cl := c.position(s, line, col)
		c.el.add(l, cl, e.code, "%s: %s", what, e.msg)
	}
}

// exprError records an expr compile error at its position inside the YAML file.
func (c *compiler) exprError(s src, what string, err error) {
	var fe *file.Error
	if !errors.As(err, &fe) {
		if strings.HasPrefix(err.Error(), "expected bool") {
			word := "when"
			if strings.HasSuffix(what, " where") {
				word = "where"
			}
			c.el.add(s.line, s.col, CodeNotBool, "%s: %s must be true or false; %v", what, word, err)
			return
		}
		c.el.add(s.line, s.col, CodeExpr, "%s: %v", what, err)
		return
	}
	msg, code := fe.Message, CodeExpr
	if strings.HasPrefix(msg, "expected bool") {
		code = CodeNotBool
		if strings.HasSuffix(what, " where") {
			msg = "where must be true or false; " + msg
		} else {
			msg = "when must be true or false; " + msg
		}
	}
	if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
		if sug := c.suggest(name); sug != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", sug)
		}
	}
	line, col := fe.Line, fe.Column
	if line == 0 {
		line = 1
	}
	l, cl := c.position(s, line, col)
	c.el.add(l, cl, code, "%s: %s", what, msg)
}

// position maps a line (1-based) and column (0-based) inside an expression to
// the file's line and column (1-based).
func (c *compiler) position(s src, line, col int) (int, int) {
	switch s.style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		fileLine := s.line + line
		indent := 0
		if fileLine-1 < len(c.lines) {
			l := c.lines[fileLine-1]
			indent = len(l) - len(strings.TrimLeft(l, " "))
		}
		return fileLine, indent + col + 1
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if line == 1 {
			return s.line, s.col + 1 + col
		}
		return s.line + line - 1, col + 1
	}
	if line == 1 {
		return s.line, s.col + col
	}
	return s.line + line - 1, col + 1
}

func offsetToLineCol(src []rune, off int) (line, col int) {
	line = 1
	for i := 0; i < off && i < len(src); i++ {
		if src[i] == '\n' {
			line++
			col = 0
			continue
		}
		col++
	}
	return line, col
}

// suggest returns the known name closest to a misspelt one, if any is within
// an edit distance of 2. It is bounded, since a hostile policy can misspell
// thousands of names against thousands of variables: the distance is computed
// only within that band, for names of at most maxSuggestLen bytes, and at
// most maxSuggestions times per policy.
func (c *compiler) suggest(name string) string {
	if c.suggested >= maxSuggestions || len(name) > maxSuggestLen {
		return ""
	}
	c.suggested++
	name = strings.ToLower(name)
	best, bestD := "", 3
	try := func(k string) {
		if d := editDistanceWithin(name, k, bestD-1); d < bestD {
			best, bestD = k, d
		}
	}
	for _, k := range rootNames {
		try(k)
	}
	for k := range c.vars {
		try(k)
	}
	return best
}

// Bounds of suggest.
const (
	maxSuggestions = 100
	maxSuggestLen  = 64
)

// editDistanceWithin is the edit distance between a and b when it is at most
// k, and k+1 otherwise, computed only in the band |i-j| <= k: O(len(a)·k).
func editDistanceWithin(a, b string, k int) int {
	if k < 0 {
		return 0
	}
	if d := len(a) - len(b); d > k || -d > k {
		return k + 1
	}
	inf := k + 1
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = min(j, inf)
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-k), min(len(b), i+k)
		for j := range cur {
			cur[j] = inf
		}
		if i <= k {
			cur[0] = i
		}
		rowMin := cur[0]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost, inf)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= inf {
			return inf
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], inf)
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

// extraChecks finds the checks expressions read by index that are not
// documented (device_checks["headless_gpu"]), so the sample env can type them.
func extraChecks(texts []string) map[string]bool {
	out := map[string]bool{}
	for _, text := range texts {
		tree, err := parser.Parse(text)
		if err != nil {
			continue
		}
		src := []rune(text)
		ast.Walk(&tree.Node, visitorFunc(func(n *ast.Node) {
			m, ok := (*n).(*ast.MemberNode)
			if !ok {
				return
			}
			id, ok := m.Node.(*ast.IdentifierNode)
			prop, ok2 := m.Property.(*ast.StringNode)
			if !ok || !ok2 || (id.Value != nameDevice && id.Value != nameBiometric) {
				return
			}
			p := &patcher{src: src}
			if p.bracketForm(prop) && !slices.Contains(knownChecks(id.Value), prop.Value) {
				out[id.Value+"."+prop.Value] = true
			}
		}))
	}
	return out
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
