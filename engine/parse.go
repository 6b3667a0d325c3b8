package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Strategies for combining the actions of fired rules.
const (
	StrategyMostSevere = "most_severe" // every rule runs; the most severe action wins
	StrategyFirstMatch = "first_match" // rules run in order; the first that fires decides
	StrategyScore      = "score"       // every rule runs; fired rules' scores add up and bands decide, unless a fired rule has an action
)

// Modes of a policy.
const (
	ModeLive   = "live"   // its decision is returned to the caller
	ModeShadow = "shadow" // its decision is recorded beside the live one, never returned
)

// Context field types a policy may declare.
const (
	TypeNumber = "number"
	TypeString = "string"
	TypeBool   = "bool"
)

// src is an expression and where its YAML value starts.
type src struct {
	text  string
	line  int // line of the YAML value
	col   int // column of the YAML value
	style yaml.Style
}

type ruleSpec struct {
	id, description string
	when            src
	action          Outcome
	line, col       int
	score           int // under strategy score
	hasScore        bool
	hasAction       bool
	scoreLine       int
	scoreCol        int
}

type varSpec struct {
	name      string
	expr      src
	line, col int
}

type ctxField struct {
	name, typ string
	key       string // "context." + name, the env key
	line, col int
}

// spec is a policy as written, before compilation.
type spec struct {
	name, description string
	mode              string
	matchTags         []string
	hasMatch          bool
	matchLine         int
	def, onError      Outcome
	strategy          string
	context           []ctxField
	variables         []varSpec
	rules             []ruleSpec
	nameLine          int
	lists             []listSpec
	counters          []counterSpec
	bands             bands
	hasBands          bool
	bandsLine         int
	bandsCol          int
	strategyLine      int
	strategyCol       int
}

var (
	identRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	ruleIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

var topKeys = []string{"name", "description", "mode", "match", "default", "on_error", "strategy", "bands", "context", "lists", "counters", "variables", "rules"}

// parseSpec decodes the YAML of one policy strictly, collecting every problem.
func parseSpec(data []byte, el *errList) *spec {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if err == nil {
		var extra yaml.Node
		if dec.Decode(&extra) == nil {
			el.add(extra.Line, extra.Column, CodeYAML, "a second YAML document (after ---): put each policy in its own file")
			return nil
		}
	}
	if err != nil {
		line := 1
		var n int
		msg := err.Error()
		if _, e := fmt.Sscanf(strings.TrimPrefix(msg, "yaml: "), "line %d:", &n); e == nil {
			line = n
		}
		el.add(line, 1, CodeYAML, "not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
		return nil
	}
	if len(doc.Content) == 0 {
		el.add(1, 1, CodeMissing, "empty policy file: a policy needs name, default, on_error and rules")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		el.add(root.Line, root.Column, CodeInvalid, "a policy must be a mapping of keys (name, rules, ...), not %s", kindName(root))
		return nil
	}
	s := &spec{mode: ModeLive, strategy: StrategyMostSevere}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			el.add(k.Line, k.Column, CodeDuplicate, "key %q appears twice", k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "name":
			s.name, s.nameLine = scalar(el, k.Value, v), v.Line
			if s.name != "" && !ruleIDRE.MatchString(s.name) {
				el.add(v.Line, v.Column, CodeInvalid, "name %q: use letters, digits, '-', '_' and '.'", s.name)
			}
		case "description":
			s.description = scalar(el, k.Value, v)
		case "mode":
			s.mode = choice(el, k.Value, v, ModeLive, ModeShadow)
		case "match":
			s.hasMatch, s.matchLine = true, k.Line
			s.matchTags = parseMatch(el, v)
		case "default":
			s.def = Outcome(choice(el, k.Value, v, string(Allow), string(Review), string(Deny)))
		case "on_error":
			s.onError = Outcome(choice(el, k.Value, v, string(Allow), string(Review), string(Deny)))
		case "strategy":
			s.strategy = choice(el, k.Value, v, StrategyMostSevere, StrategyFirstMatch, StrategyScore)
			s.strategyLine, s.strategyCol = v.Line, v.Column
		case "bands":
			s.hasBands = true
			s.bands, s.bandsLine, s.bandsCol = parseBands(el, v)
		case "lists":
			s.lists = parseLists(el, v)
		case "counters":
			s.counters = parseCounters(el, v)
		case "context":
			s.context = parseContext(el, v)
		case "variables":
			s.variables = parseVariables(el, v)
		case "rules":
			s.rules = parseRules(el, v)
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				el.add(v.Line, v.Column, CodeMissing, "rules: the list is empty; a policy needs at least one rule")
			}
		default:
			el.add(k.Line, k.Column, CodeUnknownKey, "unknown key %q (known: %s)", k.Value, strings.Join(topKeys, ", "))
		}
	}
	for _, req := range []string{"name", "default", "on_error", "rules"} {
		if !seen[req] {
			el.add(root.Line, root.Column, CodeMissing, "missing key %q", req)
		}
	}
	if s.strategyLine == 0 {
		s.strategyLine, s.strategyCol = root.Line, root.Column
	}
	checkScoring(el, s)
	return s
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "empty"
	}
	return "a single value"
}

// scalar returns a string value, or records an error.
func scalar(el *errList, key string, v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		el.add(v.Line, v.Column, CodeInvalid, "%s: want text, got %s", key, kindName(v))
		return ""
	}
	return v.Value
}

func choice(el *errList, key string, v *yaml.Node, choices ...string) string {
	s := scalar(el, key, v)
	if s == "" && (v.Kind != yaml.ScalarNode || v.Tag == "!!null") {
		return ""
	}
	for _, c := range choices {
		if s == c {
			return s
		}
	}
	el.add(v.Line, v.Column, CodeInvalid, "%s: %q is not one of %s", key, s, strings.Join(choices, ", "))
	return ""
}

func parseMatch(el *errList, v *yaml.Node) []string {
	if v.Kind != yaml.MappingNode {
		el.add(v.Line, v.Column, CodeInvalid, "match: want a mapping like {tags: [checkout-flow]}, got %s", kindName(v))
		return nil
	}
	var tags []string
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if k.Value != "tags" {
			el.add(k.Line, k.Column, CodeUnknownKey, "match: unknown key %q (known: tags)", k.Value)
			continue
		}
		if val.Kind != yaml.SequenceNode || len(val.Content) == 0 {
			el.add(val.Line, val.Column, CodeInvalid, "match.tags: want a non-empty list of tags")
			continue
		}
		for _, t := range val.Content {
			if s := scalar(el, "match.tags", t); s != "" {
				tags = append(tags, s)
			}
		}
	}
	if len(tags) == 0 && len(v.Content) == 0 {
		el.add(v.Line, v.Column, CodeMissing, "match: needs tags; omit match for the default policy")
	}
	return tags
}

func parseContext(el *errList, v *yaml.Node) []ctxField {
	if v.Kind != yaml.MappingNode {
		el.add(v.Line, v.Column, CodeInvalid, "context: want a mapping of field: type (number, string, bool), got %s", kindName(v))
		return nil
	}
	var out []ctxField
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, t := v.Content[i], v.Content[i+1]
		if !identRE.MatchString(k.Value) {
			el.add(k.Line, k.Column, CodeInvalid, "context field %q: use letters, digits and '_'", k.Value)
			continue
		}
		typ := choice(el, "context."+k.Value, t, TypeNumber, TypeString, TypeBool)
		if typ != "" {
			out = append(out, ctxField{name: k.Value, typ: typ, key: nameContext + "." + k.Value, line: k.Line, col: k.Column})
		}
	}
	return out
}

func parseVariables(el *errList, v *yaml.Node) []varSpec {
	if v.Kind != yaml.MappingNode {
		el.add(v.Line, v.Column, CodeInvalid, "variables: want a mapping of name: expression, got %s", kindName(v))
		return nil
	}
	var out []varSpec
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, e := v.Content[i], v.Content[i+1]
		text := scalar(el, "variable "+k.Value, e)
		if text == "" {
			continue
		}
		out = append(out, varSpec{name: k.Value, line: k.Line, col: k.Column,
			expr: src{text: text, line: e.Line, col: e.Column, style: e.Style}})
	}
	return out
}

var ruleKeys = []string{"id", "description", "when", "action", "score"}

func parseRules(el *errList, v *yaml.Node) []ruleSpec {
	if v.Kind != yaml.SequenceNode {
		el.add(v.Line, v.Column, CodeInvalid, "rules: want a list of rules, got %s", kindName(v))
		return nil
	}
	var out []ruleSpec
	for i, rn := range v.Content {
		if rn.Kind != yaml.MappingNode {
			el.add(rn.Line, rn.Column, CodeInvalid, "rules[%d]: want a mapping with id, when and action, got %s", i, kindName(rn))
			continue
		}
		r := ruleSpec{line: rn.Line, col: rn.Column}
		seen := map[string]bool{}
		for j := 0; j+1 < len(rn.Content); j += 2 {
			k, val := rn.Content[j], rn.Content[j+1]
			if seen[k.Value] {
				el.add(k.Line, k.Column, CodeDuplicate, "rules[%d]: key %q appears twice", i, k.Value)
				continue
			}
			seen[k.Value] = true
			switch k.Value {
			case "id":
				r.id = scalar(el, "id", val)
				if r.id != "" && !ruleIDRE.MatchString(r.id) {
					el.add(val.Line, val.Column, CodeInvalid, "rule id %q: use letters, digits, '-', '_' and '.'", r.id)
				}
			case "description":
				r.description = scalar(el, "description", val)
			case "when":
				r.when = src{text: scalar(el, "when", val), line: val.Line, col: val.Column, style: val.Style}
			case "action":
				r.action = Outcome(choice(el, "action", val, string(Allow), string(Review), string(Deny)))
				r.hasAction = true
			case "score":
				r.hasScore, r.scoreLine, r.scoreCol = true, val.Line, val.Column
				n, err := strconv.Atoi(val.Value)
				if val.Kind != yaml.ScalarNode || val.Tag != "!!int" || err != nil || n < -maxScore || n > maxScore {
					el.add(val.Line, val.Column, CodeInvalid, "score: want a whole number from %d to %d, got %q", -maxScore, maxScore, val.Value)
					continue
				}
				r.score = n
			default:
				el.add(k.Line, k.Column, CodeUnknownKey, "rules[%d]: unknown key %q (known: %s)", i, k.Value, strings.Join(ruleKeys, ", "))
			}
		}
		for _, req := range []string{"id", "when"} { // action: see checkScoring
			if !seen[req] {
				el.add(rn.Line, rn.Column, CodeMissing, "rules[%d]%s: missing key %q", i, ruleLabel(r.id), req)
			}
		}
		out = append(out, r)
	}
	return out
}

func ruleLabel(id string) string {
	if id == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", id)
}
