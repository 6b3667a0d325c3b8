package engine

import (
	"strings"
)

// explain appends the explanation of a rule that fired to a decision's
// fired rules: its id, action, description and the value of every path it
// reads, as the evaluator held them (ru.inputs is sorted at load, so they are
// in path order). Only rules that fire pay for this. The entry of a decision's
// first fired rule and the inputs of every fired rule are cut from the
// evaluator's slabs (see evaluator.entry and evaluator.inputs), so most
// decisions allocate nothing of their own.
func (ru *rule) explain(fired []FiredRule, ev *evaluator) []FiredRule {
	f := FiredRule{ID: ru.id, Action: ru.action, Description: ru.description, Inputs: ru.read(ev.inputs(len(ru.inputs)), ev)}
	if len(fired) == 0 {
		e := ev.entry()
		e[0] = f
		return e
	}
	return append(fired, f)
}

// read fills in (of length len(ru.inputs)) with the rule's inputs.
func (ru *rule) read(in Inputs, ev *evaluator) Inputs {
	for i, ref := range ru.inputs {
		in[i] = Input{Path: ref.path, Value: ev.input(ref)}
	}
	return in
}

// inputRef is an input path of a rule and where its value is found.
type inputRef struct {
	path  string
	from  inputSource
	index int // into slots.checks (fromCheck) or slots.context (fromContext)
}

type inputSource uint8

const (
	fromEnv     inputSource = iota // a plain env key, or a member of a map in the env
	fromScore                      // slots.score
	fromCheck                      // slots.checks[index]
	fromContext                    // slots.context[index]
)

// inputRefs says where each of a rule's input paths is found.
func (l *layout) inputRefs(paths []string) []inputRef {
	refs := make([]inputRef, len(paths))
	for i, path := range paths {
		refs[i] = inputRef{path: path}
		if path == "risk_score" && l.score {
			refs[i].from = fromScore
		}
		for _, c := range l.checks {
			if c.key == path && c.index >= 0 {
				refs[i].from, refs[i].index = fromCheck, c.index
			}
		}
		for j, f := range l.context {
			if f.key == path {
				refs[i].from, refs[i].index = fromContext, j
			}
		}
	}
	return refs
}

// input returns the value at an input path as this decision read it, as an
// interface that later decisions do not change (never a slot's own, see
// slots): checks and small scores without allocating.
func (ev *evaluator) input(ref inputRef) any {
	switch ref.from {
	case fromScore:
		return ev.slots.score
	case fromCheck:
		return boxCheck(ev.slots.checks[ref.index])
	case fromContext:
		return ev.slots.context[ref.index].given
	}
	return read(ev.env, ref.path)
}

// read returns the value at a path such as "tags", "device_checks.new_one"
// or "context.undeclared"; nil when absent.
func read(env map[string]any, path string) any {
	if v, ok := env[path]; ok {
		return v
	}
	root, key, member := strings.Cut(path, ".")
	if !member {
		return nil
	}
	switch m := env[root].(type) {
	case map[string]any:
		return m[key]
	case map[string]string:
		if v, ok := m[key]; ok {
			return v
		}
	}
	return nil
}
