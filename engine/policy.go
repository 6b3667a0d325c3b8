package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/expr-lang/expr/vm"
)

// Policy is one compiled policy. It is immutable and safe for concurrent use.
type Policy struct {
	name, description string
	file, version     string
	source            []byte // the file's bytes, whose SHA-256 is version
	mode, strategy    string
	matchTags         []string
	def, onError      Outcome
	context           []ctxField
	rules             []*rule
	lists             []ListDecl    // declared, in name order
	counters          []CounterDecl // declared, in name order
	bands             bands         // strategy score
	layout            layout        // env keys filled per decision
	nameLine          int           // for set-level errors
	matchLine         int
	pool              sync.Pool // of *evaluator
}

// rule is one compiled rule.
type rule struct {
	id, description string
	action          Outcome
	prog            *vm.Program
	paths           []string // report/context paths it reads, through variables too
	pos             string   // file:line:col of its when
	lines           [2]int   // first and last line of its entry in the file
	cost            ruleCost // its static worst case (see cost.go)
	score           *int     // under strategy score: its score (shared by every decision: read only), or nil
}

// ParsePolicy loads one policy from the bytes of a policy file; file names it
// in errors and in PolicyInfo. Errors are LoadErrors listing every problem.
// The policy loads under DefaultLimits.
func ParsePolicy(file string, data []byte) (*Policy, error) {
	return DefaultLimits.ParsePolicy(file, data)
}

// ParsePolicy is ParsePolicy under the limits lim (zero fields take the
// defaults).
func (lim Limits) ParsePolicy(file string, data []byte) (*Policy, error) {
	el := &errList{file: file}
	p := buildPolicy(file, data, el, lim.orDefault())
	if p != nil {
		el.errs = append(el.errs, checkCounterBudget(p.counters, lim.orDefault())...)
	}
	if len(el.errs) > 0 {
		sortErrors(el.errs)
		return nil, el.errs
	}
	return p, nil
}

// buildPolicy parses and compiles a policy, recording problems in el.
func buildPolicy(file string, data []byte, el *errList, lim Limits) (p *Policy) {
	defer func() {
		// A bug in the engine or in expr must refuse the file, not take down
		// the process that lints, validates or reloads it.
		if v := recover(); v != nil {
			el.add(1, 1, CodeInternal, "the policy could not be loaded (internal error: %v); please report it with the file", v)
			p = nil
		}
	}()
	if len(data) > lim.FileBytes {
		el.add(1, 1, CodeLimit, "the policy file has %d bytes; the limit is %d", len(data), lim.FileBytes)
		return nil
	}
	s := parseSpec(data, el)
	if s == nil {
		return nil
	}
	if n := len(s.variables); n > lim.Variables {
		v := s.variables[lim.Variables]
		el.add(v.line, v.col, CodeLimit, "variable %q is the %dth of %d; a policy may have at most %d variables", v.name, lim.Variables+1, n, lim.Variables)
		return nil
	}
	if n := len(s.context); n > lim.ContextFields {
		f := s.context[lim.ContextFields]
		el.add(f.line, f.col, CodeLimit, "context field %q is the %dth of %d; a policy may declare at most %d", f.name, lim.ContextFields+1, n, lim.ContextFields)
		return nil
	}
	if n := len(s.rules); n > lim.Rules {
		r := s.rules[lim.Rules]
		el.add(r.line, r.col, CodeLimit, "rule %q is the %dth of %d; a policy may have at most %d rules", r.id, lim.Rules+1, n, lim.Rules)
		return nil
	}
	c := &compiler{lim: lim, badText: map[[2]int]bool{}, el: el, lines: strings.Split(string(data), "\n"), vars: map[string]*variable{}, ctxTypes: map[string]string{}, ctxDecl: s.context}
	for _, f := range s.context {
		c.ctxTypes[f.name] = f.typ
	}
	var texts []string // those within the text limits, which the parser may see
	for _, v := range s.variables {
		if c.checkText(v.expr, fmt.Sprintf("variable %q", v.name)) {
			texts = append(texts, v.expr.text)
		}
	}
	for _, r := range s.rules {
		if c.checkText(r.when, fmt.Sprintf("rule %q", r.id)) {
			texts = append(texts, r.when.text)
		}
	}
	for _, cs := range s.counters {
		for _, e := range []src{cs.key, cs.where, cs.value} {
			if e.text != "" && c.checkText(e, fmt.Sprintf("counter %q", cs.name)) {
				texts = append(texts, e.text)
			}
		}
	}
	c.sample, c.keys = sampleEnv(), sampleKeys(extraChecks(texts), s.context)
	c.declareMemory(s)
	c.noMemory = true // a counter's expressions read the decision, not lists or counters
	counters := c.compileCounters(s.counters, file, s.name)
	c.noMemory = false
	c.compileVariables(s.variables)
	p = &Policy{
		name: s.name, description: s.description, file: file, version: sha256hex(data), source: data,
		mode: s.mode, strategy: s.strategy, matchTags: s.matchTags, def: s.def, onError: s.onError,
		context: s.context, nameLine: max(s.nameLine, 1), matchLine: max(s.matchLine, s.nameLine, 1),
		lists: listDecls(s.lists, file), counters: counters, bands: s.bands,
	}
	seen := map[string]int{}
	all := newReads()
	var total ruleCost // of the rules so far
	for _, rs := range s.rules {
		if rs.id != "" {
			if first, dup := seen[rs.id]; dup {
				el.add(rs.line, rs.col, CodeDuplicate, "rule id %q is used twice (first on line %d)", rs.id, first)
			} else {
				seen[rs.id] = rs.line
			}
		}
		if rs.when.text == "" {
			continue
		}
		what := fmt.Sprintf("rule %q", rs.id)
		if !c.checkText(rs.when, what) || !c.spend(c.inlinedSize(rs.when), rs.when, what) {
			continue
		}
		out := c.compile(rs.when, what, true)
		if out == nil {
			continue
		}
		cost, ok := c.ruleCost(rs, out, &total)
		if !ok {
			continue
		}
		all.merge(out.reads)
		ru := &rule{
			id: rs.id, description: rs.description, action: rs.action, prog: out.prog, paths: inputList(out.reads.inputs),
			pos: fmt.Sprintf("%s:%d:%d", file, rs.when.line, rs.when.col), cost: cost,
			lines: [2]int{rs.line, ruleEnd(c.lines, rs.line, rs.col)},
		}
		if s.strategy == StrategyScore {
			score := rs.score
			ru.score = &score
		}
		p.rules = append(p.rules, ru)
	}
	p.layout = newLayout(all, s.context, lim)
	p.layout.addMemory(all, c)
	// Each guarded iteration costs at least 7 units in the static bound (the
	// tick 3, the loop 3, its predicate 1), so a decision within the bound
	// never ticks more than lim.Cost/7 times: the guard trips only past it.
	p.pool.New = func() any { return newEvaluator(&p.layout, lim.Cost/6) }
	return p
}

// Name is the policy's name.
func (p *Policy) Name() string { return p.name }

// Mode is "live" or "shadow".
func (p *Policy) Mode() string { return p.mode }

// Ref names the policy and its version (hex SHA-256 of the file's bytes).
func (p *Policy) Ref() PolicyRef { return PolicyRef{Name: p.name, Version: p.version} }

// Source is the policy file's bytes as loaded: their SHA-256 is the
// version. The slice is the policy's; callers must not change it.
func (p *Policy) Source() []byte { return p.source }

// RuleLines returns the first and last line (1-based, in Source) of the
// rule with this id's entry, so a fired rule in a trace can be tied to its
// text; ok is false for an id the policy does not have.
func (p *Policy) RuleLines(id string) (first, last int, ok bool) {
	for _, r := range p.rules {
		if r.id == id {
			return r.lines[0], r.lines[1], true
		}
	}
	return 0, 0, false
}

// ruleEnd is the last line of the rule whose mapping starts at line:col: the
// lines after it that are blank or indented at least as far as col belong to
// it; trailing blank and comment-only lines do not.
func ruleEnd(lines []string, line, col int) int {
	last := line
	for i := line; i < len(lines); i++ { // lines[i] is line i+1
		l := strings.TrimRight(lines[i], " \t\r")
		trimmed := strings.TrimLeft(l, " ")
		if trimmed == "" {
			continue
		}
		if len(l)-len(trimmed) < col-1 {
			break
		}
		if !strings.HasPrefix(trimmed, "#") {
			last = i + 1
		}
	}
	return last
}

// Info describes the policy for listings.
func (p *Policy) Info() PolicyInfo {
	return PolicyInfo{Name: p.name, Version: p.version, File: p.file, Mode: p.mode,
		Default: len(p.matchTags) == 0, MatchTags: p.matchTags, Rules: len(p.rules)}
}

// RuleIDs lists the policy's rule ids in order.
func (p *Policy) RuleIDs() []string {
	out := make([]string, len(p.rules))
	for i, r := range p.rules {
		out[i] = r.id
	}
	return out
}

// Fallback is the decision when the report cannot be had or is invalid: the
// policy's on_error outcome, reason on_error, no rules.
func (p *Policy) Fallback() Decision {
	return Decision{Policy: p.Ref(), Outcome: p.onError, Reason: ReasonOnError, FiredRules: []FiredRule{}}
}

// PolicyInfo describes a loaded policy for listings.
type PolicyInfo struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	File      string   `json:"file"`
	Mode      string   `json:"mode"` // "live" or "shadow"
	Default   bool     `json:"default"`
	MatchTags []string `json:"match_tags,omitempty"`
	Rules     int      `json:"rules"`
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
