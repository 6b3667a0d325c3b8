package engine

import (
	"fmt"
	"sort"
	"strings"
)

// Load error codes: a stable word for programs; the message is for people.
const (
	CodeYAML          = "yaml"           // the file is not valid YAML
	CodeUnknownKey    = "unknown_key"    // a key the policy format does not have
	CodeMissing       = "missing"        // a required key is absent or empty
	CodeInvalid       = "invalid_value"  // a value of the wrong kind or outside its choices
	CodeDuplicate     = "duplicate"      // a rule id, variable or policy name used twice
	CodeUnknownCheck  = "unknown_check"  // device_checks.X / biometric_checks.X with X not a known check
	CodeExpr          = "expr"           // an expression that does not parse or type-check
	CodeNotBool       = "not_boolean"    // a when that is not boolean
	CodeVariableCycle = "variable_cycle" // variables that use each other in a loop
	CodeDefault       = "default_policy" // not exactly one live default policy
	CodeMatch         = "match"          // two policies matching the same tag
	CodeIO            = "io"             // a file or folder that cannot be read
	CodeLimit         = "limit"          // over a load limit: file size, expression length or nesting, variables, rules
	CodeCost          = "cost"           // a worst-case cost or allocation over the limit, or one that cannot be bounded
	CodeInternal      = "internal"       // the engine failed on the file (a bug): the file is refused
)

// LoadError is one problem found while loading a policy, with its position:
// the line and column of the YAML value, plus the column inside an expression.
type LoadError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error formats the problem as file:line:col: message.
func (e *LoadError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Message)
}

// LoadErrors is every problem found while loading a policy or a set, in file
// and position order.
type LoadErrors []*LoadError

// Error lists every problem, one per line.
func (es LoadErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// errList collects load errors for one file.
type errList struct {
	file string
	errs LoadErrors
}

func (l *errList) add(line, col int, code, format string, args ...any) {
	l.errs = append(l.errs, &LoadError{File: l.file, Line: line, Col: col, Code: code, Message: fmt.Sprintf(format, args...)})
}

func sortErrors(es LoadErrors) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// ContextError says which caller context field is missing or has the wrong
// type for the policy's declared context.
type ContextError struct {
	Field   string `json:"field"` // e.g. "amount"
	Message string `json:"message"`
}

// Error formats the problem as context.field: message.
func (e *ContextError) Error() string { return "context." + e.Field + ": " + e.Message }
