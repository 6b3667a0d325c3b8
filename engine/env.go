package engine

import (
	"strings"
	"unsafe"

	"github.com/verdicthq/verdict/report"
)

// The env every compiled expression runs against is a map[string]any, which
// expr reads with a plain map lookup (its fast path, no reflection, no
// allocation). Besides the report fields and the context, it holds flattened
// keys: each check a policy reads ("device_checks.vpn") and each context field
// it declares ("context.amount"). The patcher rewrites device_checks.vpn and
// context.amount in expressions into those keys at load, and the checker is
// given a sample env with their types, so device_checks.vpn is a string and
// context.amount >= "500" is a type error. A declared context field the caller
// left out is absent from the env and reads nil, so comparing it is a rule
// error, never a silent zero.
//
// One env lives with each pooled VM (see evaluator.go) and is
// refilled per decision, only with the keys the policy reads. The keys read
// most, risk_score, the documented checks and the declared context fields, are
// slots: their interface points at a field of the evaluator, so filling them
// is a plain store, not a map write.

// Names of the env as a policy sees them.
const (
	nameBiometric = "biometric_checks"
	nameDevice    = "device_checks"
	nameContext   = "context"
)

// reportNames are the report fields a rule can read, besides the check groups.
var reportNames = []string{"risk_score", "risk_explanation", "recommended_action", "tags", "user_id", "session_id"}

// rootNames are every top-level name of the env a policy may use.
var rootNames = append(append([]string(nil), reportNames...), nameBiometric, nameDevice, nameContext)

// Boxed check values, so explaining a check does not allocate.
var (
	boxDetected    any = string(report.Detected)
	boxNotDetected any = string(report.NotDetected)
	boxUnknown     any = string(report.Unknown)
)

// boxCheck returns a check value as an interface, the three words without
// allocating; "" (a check the report lacks) is Unknown.
func boxCheck(v report.CheckValue) any {
	switch v {
	case report.Detected:
		return boxDetected
	case report.NotDetected:
		return boxNotDetected
	case report.Unknown, "":
		return boxUnknown
	}
	return string(v)
}

// checksAsStrings views a Checks map as map[string]string without copying.
// report.CheckValue's underlying type is string, so both map types have the
// same key, element and hashing layout; expr needs plain strings so that
// values(device_checks) holds strings comparable with "Detected".
func checksAsStrings(c report.Checks) map[string]string {
	return *(*map[string]string)(unsafe.Pointer(&c))
}

// checkKey is one flattened check a policy reads.
type checkKey struct {
	key, name string // "device_checks.vpn", "vpn"
	biometric bool   // a biometric check, else a device check
	index     int    // report.CheckIndex; -1 for a check Roundtable does not document
}

// layout is what a policy's env needs filled per decision.
type layout struct {
	score        bool       // risk_score is read (a slot)
	documented   bool       // a documented check is read (slots, all copied at once)
	undocumented []checkKey // the checks read that Roundtable does not document, written per decision
	roots        []string   // other top-level names read as such, written per decision
	checks       []checkKey // flattened checks read
	context      []ctxField // declared context fields
}

// sampleEnv is the env the checker types expressions against: every root, the
// flattened key of every documented check and of the extra checks this policy
// reads by index, and the declared context fields.
func sampleEnv(extraChecks map[string]bool, decl []ctxField) map[string]any {
	s := map[string]any{
		"risk_score": 0, "risk_explanation": "", "recommended_action": "", "tags": []string{},
		"user_id": "", "session_id": "",
		nameDevice: map[string]string{}, nameBiometric: map[string]string{}, nameContext: map[string]any(nil),
	}
	for _, n := range report.DeviceCheckNames {
		s[nameDevice+"."+n] = ""
	}
	for _, n := range report.BiometricCheckNames {
		s[nameBiometric+"."+n] = ""
	}
	for k := range extraChecks {
		s[k] = ""
	}
	for _, f := range decl {
		switch f.typ {
		case TypeNumber:
			s[nameContext+"."+f.name] = 0.0
		case TypeString:
			s[nameContext+"."+f.name] = ""
		case TypeBool:
			s[nameContext+"."+f.name] = false
		}
	}
	return s
}

// fill loads a report and context into an evaluator's env: the slots, and
// the keys the layout names that are not slots. It checks the declared
// context fields as it goes (see CheckContext) and returns a *ContextError,
// leaving the env half filled, on the first bad one.
func (l *layout) fill(ev *evaluator, r *report.Report, ctx map[string]any) error {
	env := ev.env
	ev.slots.score = r.RiskScore
	if l.documented {
		r.CopyDocumentedChecks(&ev.slots.checks)
	}
	for i := range l.undocumented {
		c := &l.undocumented[i]
		m := r.DeviceChecks
		if c.biometric {
			m = r.BiometricChecks
		}
		env[c.key] = boxCheck(m.Get(c.name))
	}
	for _, root := range l.roots {
		switch root {
		case "risk_explanation":
			env[root] = r.RiskExplanation
		case "recommended_action":
			env[root] = r.RecommendedAction
		case "tags":
			env[root] = r.Tags
		case "user_id":
			env[root] = r.UserID
		case "session_id":
			env[root] = r.SessionID
		case nameDevice:
			env[root] = checksAsStrings(r.DeviceChecks)
		case nameBiometric:
			env[root] = checksAsStrings(r.BiometricChecks)
		case nameContext:
			env[root] = ctx
		}
	}
	for i := range l.context {
		f, s := &l.context[i], &ev.slots.context[i]
		v, ok := ctx[f.name]
		if !ok || v == nil {
			s.given = nil
			if s.inEnv {
				delete(env, f.key) // an absent field reads nil
				s.inEnv = false
			}
			continue
		}
		v, err := f.check(v)
		if err != nil {
			return err
		}
		s.set(v)
		if !s.inEnv {
			env[f.key] = s.ref
			s.inEnv = true
		}
	}
	return nil
}

// newLayout derives the keys to fill from what the policy's rules read.
func newLayout(all reads, decl []ctxField) layout {
	l := layout{context: decl}
	for _, root := range inputList(all.roots) {
		if root == "risk_score" {
			l.score = true
			continue
		}
		l.roots = append(l.roots, root)
	}
	for _, path := range inputList(all.inputs) {
		group, name, member := strings.Cut(path, ".")
		if member && (group == nameDevice || group == nameBiometric) {
			c := checkKey{key: path, name: name, biometric: group == nameBiometric, index: -1}
			if i, ok := report.CheckIndex(c.biometric, name); ok {
				c.index, l.documented = i, true
			} else {
				l.undocumented = append(l.undocumented, c)
			}
			l.checks = append(l.checks, c)
		}
	}
	return l
}

// size is how many keys the layout fills, to size the env.
func (l *layout) size() int { return 1 + len(l.roots) + len(l.checks) + len(l.context) }
