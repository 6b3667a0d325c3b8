package engine

import (
	"strings"
	"unsafe"

	"github.com/verdicthq/verdict/fetcher"
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
// One env lives with each pooled VM and is refilled per decision, only with
// the keys the policy reads (and checks only when they changed, see fill).

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

// Boxed check values, so filling the env does not allocate.
var (
	boxDetected    any = string(fetcher.Detected)
	boxNotDetected any = string(fetcher.NotDetected)
	boxUnknown     any = string(fetcher.Unknown)
)

func boxCheck(v fetcher.CheckValue) any {
	_, b := codeCheck(v)
	return b
}

// codeCheck returns a check value boxed, and a code for the three words
// (1 Detected, 2 Not detected, 3 Unknown or missing) that fill compares
// instead of the boxed strings; 0 for any other value, which fill always
// writes.
func codeCheck(v fetcher.CheckValue) (uint8, any) {
	switch v {
	case fetcher.Detected:
		return 1, boxDetected
	case fetcher.NotDetected:
		return 2, boxNotDetected
	case fetcher.Unknown, "":
		return 3, boxUnknown
	}
	return 0, string(v)
}

// checksAsStrings views a Checks map as map[string]string without copying.
// fetcher.CheckValue's underlying type is string, so both map types have the
// same key, element and hashing layout; expr needs plain strings so that
// values(device_checks) holds strings comparable with "Detected".
func checksAsStrings(c fetcher.Checks) map[string]string {
	return *(*map[string]string)(unsafe.Pointer(&c))
}

// checkKey is one flattened check a policy reads.
type checkKey struct {
	key, name string // "device_checks.vpn", "vpn"
	biometric bool   // a biometric check, else a device check
}

// layout is what a policy's env needs filled per decision.
type layout struct {
	roots   []string   // top-level names read as such
	checks  []checkKey // flattened checks read
	context []ctxField // declared context fields
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
	for _, n := range fetcher.DeviceCheckNames {
		s[nameDevice+"."+n] = ""
	}
	for _, n := range fetcher.BiometricCheckNames {
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

// fill loads a report and context into an evaluator's env, only the keys the
// layout names. It checks the declared context fields as it goes (see
// CheckContext) and returns a *ContextError, leaving the env half filled, on
// the first bad one.
//
// A check is written into the env only when its value differs from the one
// the env already holds from the evaluator's previous decision (ev.checks
// records them by codeCheck): a map write costs a hash and, while the garbage
// collector marks, a write barrier, and most checks of consecutive sessions
// are the same word. A value other than the three words is always written, so
// the env always holds exactly this report's checks.
func (l *layout) fill(ev *evaluator, r *fetcher.Report, ctx map[string]any) error {
	env := ev.env
	for _, root := range l.roots {
		switch root {
		case "risk_score":
			env[root] = r.RiskScore
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
	for i := range l.checks {
		c := &l.checks[i]
		m := r.DeviceChecks
		if c.biometric {
			m = r.BiometricChecks
		}
		if code, v := codeCheck(m.Get(c.name)); code == 0 || ev.checks[i] != code {
			env[c.key] = v
			ev.checks[i] = code
		}
	}
	for _, f := range l.context {
		v, ok := ctx[f.name]
		if !ok || v == nil {
			delete(env, f.key)
			continue
		}
		v, err := f.check(v)
		if err != nil {
			return err
		}
		env[f.key] = v
	}
	return nil
}

// newLayout derives the keys to fill from what the policy's rules read.
func newLayout(all reads, decl []ctxField) layout {
	l := layout{context: decl}
	for _, root := range inputList(all.roots) {
		l.roots = append(l.roots, root)
	}
	for _, path := range inputList(all.inputs) {
		group, name, member := strings.Cut(path, ".")
		if member && (group == nameDevice || group == nameBiometric) {
			l.checks = append(l.checks, checkKey{key: path, name: name, biometric: group == nameBiometric})
		}
	}
	return l
}

// size is how many keys the layout fills, to size the env.
func (l *layout) size() int { return len(l.roots) + len(l.checks) + len(l.context) }
