package engine

import (
	"strings"
)

// fired builds the explanation of a rule that fired: its id, action,
// description and the value of every path it reads, from the env it ran on.
// Only rules that fire pay for this.
func (ru *rule) fired(e *env) FiredRule {
	in := make(map[string]any, len(ru.inputs))
	for _, path := range ru.inputs {
		in[path] = e.read(path)
	}
	return FiredRule{ID: ru.id, Action: ru.action, Description: ru.description, Inputs: in}
}

// read returns the value at a path such as "risk_score", "device_checks.vpn"
// or "context.amount"; nil when absent.
func (e *env) read(path string) any {
	root, key, member := strings.Cut(path, ".")
	switch root {
	case "risk_score":
		return e.RiskScore
	case "risk_explanation":
		return e.RiskExplanation
	case "recommended_action":
		return e.RecommendedAction
	case "tags":
		return e.Tags
	case "user_id":
		return e.UserID
	case "session_id":
		return e.SessionID
	case nameDevice, nameBiometric:
		m := e.DeviceChecks
		if root == nameBiometric {
			m = e.BiometricChecks
		}
		if !member {
			return m
		}
		if v, ok := m[key]; ok {
			return v
		}
		return nil
	case nameContext:
		if !member {
			return e.Context
		}
		return e.Context[key]
	}
	return nil
}
