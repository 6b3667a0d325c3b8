package engine

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
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
	sample    map[string]any          // the typed env the checker sees, without the policy's own keys
	keys      map[string]any          // the policy's own typed keys (see sampleKeys), given to the expressions naming them
	badText   map[[2]int]bool         // expressions over a text limit, by position (see checkText)
	nodes     int                     // expression nodes compiled so far, variables written out (see spend)
	suggested int                     // suggestions looked for so far (see suggest)
	full      bool                    // nodes went over lim.TotalNodes: nothing more is compiled
	lists     map[string]*listSpec    // declared lists, for lists.NAME
	counters  map[string]*counterSpec // declared counters, for counters.NAME
	ctxDecl   []ctxField              // declared context fields
	noMemory  bool                    // compiling a counter's expressions: lists and counters are not names there
}

// compiled is one compiled expression and what it reads.
type compiled struct {
	prog  *vm.Program
	reads reads
}

// compile compiles one expression; what names it in errors ("rule \"x\"").
// It returns nil after recording errors.
func (c *compiler) compile(s src, what string, wantBool bool) *compiled {
	env := maps.Clone(c.sample)
	if tree, err := parser.Parse(s.text); err == nil {
		c.addKeys(env, tree.Node)
	}
	return c.compileAs(s, what, wantBool, env, true)
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
	if err == nil && len(p.errs) == 0 && p.listCalls > 0 {
		p.listArgTypes(prog)
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
	if strings.Contains(err.Error(), "exceeds maximum allowed nodes") { // expr's own MaxNodes, on the text itself
		c.el.add(s.line, s.col, CodeLimit, "%s: too large (over %d nodes); split it into smaller rules", what, c.lim.Nodes)
		return
	}
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
