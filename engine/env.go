package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/verdicthq/verdict/report"
)

// The env every compiled expression runs against is a map[string]any, which
// expr reads with a plain map lookup (its fast path, no reflection, no
// allocation). Besides the report fields and the context, it holds flattened
// keys: each check a policy reads ("device_checks.vpn"), each context field it
// declares ("context.amount") and, when a rule calls now(), the decision's
// time. The patcher rewrites device_checks.vpn, context.amount and now() in
// expressions into those keys at load, and the checker is given a sample env
// with their types, so device_checks.vpn is a string and context.amount >=
// "500" is a type error. A declared context field the caller left out is
// absent from the env and reads nil, so comparing it is a rule error, never a
// silent zero.
//
// One env lives with each pooled VM (see evaluator.go) and is refilled for
// each decision with plain map writes, only of the keys the policy reads: what
// any user of expr writes, with nothing that depends on the runtime's layout.

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

// checkStrings copies a check group into a fresh map[string]string, for a
// rule that reads the group whole (values(device_checks)): expr compares
// plain strings with "Detected", and a fresh map per decision is one no later
// decision changes, so an explanation may keep it.
func checkStrings(c report.Checks) map[string]string {
	m := make(map[string]string, len(c))
	for k, v := range c {
		m[k] = string(v)
	}
	return m
}

// nowKey is the env key now() reads: the patcher rewrites every call of now()
// into it. No expression can name it itself (it is not an identifier).
const nowKey = "now()"

// checkKey is one flattened check a policy reads.
type checkKey struct {
	key, name string // "device_checks.vpn", "vpn"
	biometric bool   // a biometric check, else a device check
	index     int    // report.CheckIndex; -1 for a check Roundtable does not document
}

// layout is what a policy's env needs filled per decision.
type layout struct {
	score    bool          // risk_score is read
	now      bool          // now() is called
	checks   []checkKey    // flattened checks read
	roots    []string      // other top-level names read as such
	context  []ctxField    // declared context fields
	lists    []listSlot    // lists the rules read (a membership function each, set once per evaluator)
	counters []counterSlot // counters the rules read, filled per decision

	maxString, maxItems int // what the static cost assumes of the inputs (Limits.InputString, InputItems)
}

// InputError says which input of a decision is larger than the policy's
// static cost assumes (Limits.InputString, Limits.InputItems): the decision
// is not evaluated and falls to on_error.
type InputError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Error formats the problem as path: message.
func (e *InputError) Error() string { return e.Path + ": " + e.Message }

// checkSize checks one input value, and every value inside it, against the
// limits the static cost assumes: no text longer than maxString bytes, no
// list or map of more than maxItems entries (keys count as texts), no nesting
// deeper than maxInputDepth.
func (l *layout) checkSize(path string, v any) error {
	return l.checkDeep(path, v, 0)
}

// maxInputDepth is the deepest nesting of an input the engine walks.
const maxInputDepth = 100

func (l *layout) checkDeep(path string, v any, depth int) error {
	if depth > maxInputDepth {
		return &InputError{Path: path, Message: fmt.Sprintf("is nested deeper than %d levels", maxInputDepth)}
	}
	tooMany := func(n int) error {
		if l.maxItems > 0 && n > l.maxItems {
			return &InputError{Path: path, Message: fmt.Sprintf("has %d entries; the policy's cost bound allows at most %d", n, l.maxItems)}
		}
		return nil
	}
	tooLong := func(p, s string) error {
		if l.maxString > 0 && len(s) > l.maxString {
			return &InputError{Path: p, Message: fmt.Sprintf("has %d bytes; the policy's cost bound allows at most %d", len(s), l.maxString)}
		}
		return nil
	}
	switch x := v.(type) {
	case string:
		return tooLong(path, x)
	case []string:
		if err := tooMany(len(x)); err != nil {
			return err
		}
		for _, s := range x {
			if err := tooLong(path+"[]", s); err != nil {
				return err
			}
		}
	case map[string]string:
		if err := tooMany(len(x)); err != nil {
			return err
		}
		for k := range x {
			if err := tooLong(path+" key", k); err != nil {
				return err
			}
		}
	case []any:
		if err := tooMany(len(x)); err != nil {
			return err
		}
		for _, e := range x {
			if err := l.checkDeep(path+"[]", e, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		if err := tooMany(len(x)); err != nil {
			return err
		}
		for k, e := range x {
			if err := tooLong(path+" key", k); err != nil {
				return err
			}
			if err := l.checkDeep(path+"."+k, e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// sampleEnv is the env the checker types expressions against: every root, the
// flattened key of every documented check, the decision's time and the loop
// guard. The keys a policy adds (declared context fields, the undocumented
// checks it reads by index) are in sampleKeys, and each expression's env gets
// only those it names (see compiler.envFor): expr builds a type for every key
// of the env it is given, for every expression it compiles.
func sampleEnv() map[string]any {
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
	s[nowKey] = time.Time{}
	s[guardKey] = (*guard)(nil)
	return s
}

// sampleKeys are the typed env keys a policy adds: the extra checks it reads
// by index, and its declared context fields.
func sampleKeys(extraChecks map[string]bool, decl []ctxField) map[string]any {
	s := map[string]any{}
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

// fill loads a report, a context and the decision's time into an env: a map
// write for each key the layout names. It checks the declared context fields
// as it goes (see CheckContext) and returns a *ContextError, leaving the env
// half filled, on the first bad one.
func (l *layout) fill(env map[string]any, r *report.Report, ctx map[string]any, now time.Time) error {
	if l.score {
		if r.RiskScore < 0 || r.RiskScore > 100 { // Decode refuses these; a report built by hand may not
			return &InputError{Path: "risk_score", Message: fmt.Sprintf("is %d; the policy's cost bound assumes 0 to 100", r.RiskScore)}
		}
		env["risk_score"] = r.RiskScore
	}
	for i := range l.checks {
		c := &l.checks[i]
		if c.index >= 0 {
			env[c.key] = boxCheck(r.CheckAt(c.index))
			continue
		}
		m := r.DeviceChecks
		if c.biometric {
			m = r.BiometricChecks
		}
		env[c.key] = boxCheck(m.Get(c.name))
	}
	for _, root := range l.roots {
		var v any
		switch root {
		case "risk_explanation":
			v = r.RiskExplanation
		case "recommended_action":
			v = r.RecommendedAction
		case "tags":
			v = r.Tags
		case "user_id":
			v = r.UserID
		case "session_id":
			v = r.SessionID
		case nameDevice, nameBiometric:
			m := r.DeviceChecks
			if root == nameBiometric {
				m = r.BiometricChecks
			}
			if l.maxItems > 0 && len(m) > l.maxItems { // before copying it
				return &InputError{Path: root, Message: fmt.Sprintf("has %d entries; the policy's cost bound allows at most %d", len(m), l.maxItems)}
			}
			v = checkStrings(m)
		case nameContext:
			v = ctx
		}
		if err := l.checkSize(root, v); err != nil {
			return err
		}
		env[root] = v
	}
	for i := range l.context {
		f := &l.context[i]
		v, ok := ctx[f.name]
		if !ok || v == nil {
			delete(env, f.key) // an absent field reads nil
			continue
		}
		v, err := f.check(v)
		if err != nil {
			return err
		}
		if err := l.checkSize(f.key, v); err != nil {
			return err
		}
		env[f.key] = v
	}
	if l.now {
		env[nowKey] = now
	}
	return nil
}

// newLayout derives the keys to fill from what the policy's rules read.
func newLayout(all reads, decl []ctxField, lim Limits) layout {
	l := layout{context: decl, maxString: lim.InputString, maxItems: lim.InputItems}
	for _, root := range inputList(all.roots) {
		switch root {
		case "risk_score":
			l.score = true
		case nowKey:
			l.now = true
		default:
			l.roots = append(l.roots, root)
		}
	}
	for _, path := range inputList(all.inputs) {
		group, name, member := strings.Cut(path, ".")
		if member && (group == nameDevice || group == nameBiometric) {
			c := checkKey{key: path, name: name, biometric: group == nameBiometric, index: -1}
			if i, ok := report.CheckIndex(c.biometric, name); ok {
				c.index = i
			}
			l.checks = append(l.checks, c)
		}
	}
	return l
}

// size is how many keys the layout fills, to size the env.
func (l *layout) size() int {
	return 2 + len(l.roots) + len(l.checks) + len(l.context) + len(l.lists) + len(l.counters)
}
