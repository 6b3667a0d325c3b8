package engine

import (
	"unsafe"

	"github.com/verdicthq/verdict/fetcher"
)

// env is what every compiled expression runs against: the report's fields,
// the caller's context and, for context fields the policy declares, the same
// values in typed maps (expressions reading a declared field are rewritten at
// load to read the typed map, so the checker knows its type). A declared field
// the caller left out is absent from its map and reads nil, so comparing it
// is a rule error, never a silent zero.
//
// One env lives with each pooled VM and is refilled per decision without
// allocating.
type env struct {
	RiskScore         int               `expr:"risk_score"`
	RiskExplanation   string            `expr:"risk_explanation"`
	RecommendedAction string            `expr:"recommended_action"`
	Tags              []string          `expr:"tags"`
	UserID            string            `expr:"user_id"`
	SessionID         string            `expr:"session_id"`
	BiometricChecks   map[string]string `expr:"biometric_checks"`
	DeviceChecks      map[string]string `expr:"device_checks"`
	Context           map[string]any    `expr:"context"`

	CtxNumber map[string]*float64 `expr:"$context_number"`
	CtxString map[string]*string  `expr:"$context_string"`
	CtxBool   map[string]*bool    `expr:"$context_bool"`

	// slots hold the typed values the maps point at, one per declared field.
	nums  []float64
	strs  []string
	bools []bool
}

// Names of the env as a policy sees them.
const (
	nameBiometric = "biometric_checks"
	nameDevice    = "device_checks"
	nameContext   = "context"
	ctxNumberName = "$context_number"
	ctxStringName = "$context_string"
	ctxBoolName   = "$context_bool"
)

// reportNames are the report fields a rule can read, besides the check groups.
var reportNames = []string{"risk_score", "risk_explanation", "recommended_action", "tags", "user_id", "session_id"}

// rootNames are every name of the env a policy may use.
var rootNames = append(append([]string(nil), reportNames...), nameBiometric, nameDevice, nameContext)

// checksAsStrings views a Checks map as map[string]string without copying.
// fetcher.CheckValue's underlying type is string, so both map types have the
// same key, element and hashing layout; expr needs plain strings so that
// device_checks.vpn == "Detected" type-checks.
func checksAsStrings(c fetcher.Checks) map[string]string {
	return *(*map[string]string)(unsafe.Pointer(&c))
}

// fill loads a report and context into e, reusing its maps.
func (e *env) fill(r *fetcher.Report, ctx map[string]any, decl []ctxField) {
	e.RiskScore = r.RiskScore
	e.RiskExplanation = r.RiskExplanation
	e.RecommendedAction = r.RecommendedAction
	e.Tags = r.Tags
	e.UserID = r.UserID
	e.SessionID = r.SessionID
	e.BiometricChecks = checksAsStrings(r.BiometricChecks)
	e.DeviceChecks = checksAsStrings(r.DeviceChecks)
	e.Context = ctx
	for i, f := range decl {
		v, ok := ctx[f.name]
		if !ok || v == nil {
			delete(e.CtxNumber, f.name)
			delete(e.CtxString, f.name)
			delete(e.CtxBool, f.name)
			continue
		}
		switch f.typ {
		case TypeNumber:
			e.nums[i], _ = toNumber(v)
			e.CtxNumber[f.name] = &e.nums[i]
		case TypeString:
			e.strs[i], _ = v.(string)
			e.CtxString[f.name] = &e.strs[i]
		case TypeBool:
			e.bools[i], _ = v.(bool)
			e.CtxBool[f.name] = &e.bools[i]
		}
	}
}

// clear drops references to the caller's data before the env goes back to the pool.
func (e *env) clear() {
	e.Tags, e.BiometricChecks, e.DeviceChecks, e.Context = nil, nil, nil, nil
	e.RiskExplanation, e.RecommendedAction, e.UserID, e.SessionID = "", "", "", ""
	clear(e.strs)
}

func newEnv(declared int) *env {
	return &env{
		CtxNumber: map[string]*float64{}, CtxString: map[string]*string{}, CtxBool: map[string]*bool{},
		nums: make([]float64, declared), strs: make([]string, declared), bools: make([]bool, declared),
	}
}
