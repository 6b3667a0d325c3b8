package engine

import (
	"strings"
)

// explain appends the explanation of a rule that fired to a decision's
// fired rules: its id, action, description and the value of every path it
// reads, as the env held them (ru.paths is sorted at load, so they are in
// path order). Only rules that fire pay for this. The entry of a decision's
// first fired rule and the inputs of every fired rule are cut from the
// evaluator's slabs (see evaluator.entry and evaluator.inputs), so most
// decisions allocate nothing of their own.
func (ru *rule) explain(fired []FiredRule, ev *evaluator) []FiredRule {
	f := FiredRule{ID: ru.id, Action: ru.action, Description: ru.description, Inputs: ru.read(ev.inputs(len(ru.paths)), ev), Score: ru.score}
	if len(fired) == 0 {
		e := ev.entry()
		e[0] = f
		return e
	}
	return append(fired, f)
}

// read fills in (of length len(ru.paths)) with the rule's inputs, as the
// env held them: values no later decision changes (see evaluator).
func (ru *rule) read(in Inputs, ev *evaluator) Inputs {
	for i, path := range ru.paths {
		if name, isList := strings.CutPrefix(path, nameLists+"."); isList {
			in[i] = Input{Path: path, Value: ev.listInput(name)}
			continue
		}
		in[i] = Input{Path: path, Value: read(ev.env, path)}
	}
	return in
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
