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
//   - points reads of declared context fields at the typed maps, so the
//     checker knows context.amount is a number,
//   - and records every report and context path the expression reads.
type patcher struct {
	c         *compiler
	src       []rune
	inputs    map[string]int // path -> uses; a root's count goes down when it is the base of a member
	errs      []patchErr
	brokenVar string
}

type patchErr struct {
	from      int
	code, msg string
}

func (p *patcher) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.IdentifierNode:
		if _, isVar := p.c.vars[x.Value]; isVar {
			tree, inputs, ok := p.c.variableTree(x.Value)
			if !ok {
				p.brokenVar = x.Value
				return
			}
			for k, v := range inputs {
				p.inputs[k] += v
			}
			ast.Patch(n, tree)
			return
		}
		if slices.Contains(rootNames, x.Value) {
			p.inputs[x.Value]++
		}
	case *ast.MemberNode:
		id, ok := x.Node.(*ast.IdentifierNode)
		prop, ok2 := x.Property.(*ast.StringNode)
		if !ok || !ok2 {
			return
		}
		switch id.Value {
		case nameDevice, nameBiometric:
			p.inputs[id.Value]--
			p.inputs[id.Value+"."+prop.Value]++
			known := knownChecks(id.Value)
			if !p.bracketForm(prop) && !slices.Contains(known, prop.Value) {
				p.errs = append(p.errs, patchErr{from: prop.Location().From, code: CodeUnknownCheck,
					msg: fmt.Sprintf("unknown %s check %q (known: %s); a check Roundtable added after these can be read as %s[%q]",
						strings.TrimSuffix(id.Value, "_checks"), prop.Value, strings.Join(known, ", "), id.Value, prop.Value)})
			}
		case nameContext:
			p.inputs[id.Value]--
			p.inputs[id.Value+"."+prop.Value]++
			if name := typedContextName(p.c.ctxTypes[prop.Value]); name != "" {
				typed := &ast.IdentifierNode{Value: name}
				typed.SetLocation(id.Location())
				x.Node = typed
			}
		}
	}
}

// bracketForm tells device_checks["x"] from device_checks.x: the property of
// the bracket form starts at its quote.
func (p *patcher) bracketForm(prop *ast.StringNode) bool {
	from := prop.Location().From
	return from >= 0 && from < len(p.src) && (p.src[from] == '"' || p.src[from] == '\'' || p.src[from] == '`')
}

func typedContextName(typ string) string {
	switch typ {
	case TypeNumber:
		return ctxNumberName
	case TypeString:
		return ctxStringName
	case TypeBool:
		return ctxBoolName
	}
	return ""
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
