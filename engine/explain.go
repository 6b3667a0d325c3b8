package engine

import (
	"strings"
)

// fired builds the explanation of a rule that fired: its id, action,
// description and the value of every path it reads, from the env it ran on.
// Only rules that fire pay for this: one allocation, the inputs (ru.inputs is
// sorted at load, so they are in path order).
func (ru *rule) fired(env map[string]any) FiredRule {
	in := make(Inputs, len(ru.inputs))
	for i, path := range ru.inputs {
		in[i] = Input{Path: path, Value: read(env, path)}
	}
	return FiredRule{ID: ru.id, Action: ru.action, Description: ru.description, Inputs: in}
}

// read returns the value at a path such as "risk_score", "device_checks.vpn"
// or "context.amount"; nil when absent.
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
