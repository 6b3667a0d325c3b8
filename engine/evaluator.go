package engine

import (
	"unsafe"

	"github.com/expr-lang/expr/vm"
	"github.com/verdicthq/verdict/report"
)

// evaluator is a VM and an env, pooled per policy so a decision allocates
// neither. It is always used through a pointer: the env's slot keys point
// into it.
type evaluator struct {
	vm      vm.VM
	env     map[string]any
	slots   slots
	entries []FiredRule // the entry slab's part not yet handed out, see entry
	free    Inputs      // the input slab's part not yet handed out, see inputs
}

// slots hold the values of the env's slot keys. The env holds, under
// "risk_score", each documented check's key and each declared context field's
// key, an interface whose data pointer is the address of a field here
// (slotRef), so expr reading env["device_checks.vpn"] reads whatever
// slots.checks[i] holds at the time. Filling a decision is then a store per
// value, where a map write costs a hash, a probe and a write barrier.
//
// Only the engine may read these interfaces, and only during a decision: an
// interface kept past it would change with the next one. An explanation
// therefore copies the values out (see evaluator.input).
type slots struct {
	score   int
	checks  [report.NumDocumentedChecks]report.CheckValue // by report.CheckIndex; read by expr as strings
	context []ctxSlot                                     // by declared context field
}

// ctxSlot is one declared context field: its value by type, the interface
// the env holds for it, and the checked value as given, for explanations.
type ctxSlot struct {
	num     float64
	str     string
	boolean bool
	ref     any  // slotRef of num, str or boolean, by the field's type
	inEnv   bool // the env holds ref (the field was given); else the key is absent and reads nil
	given   any  // the value as CheckContext returns it, stable past the decision
}

// set stores a checked context value (float64, string or bool).
func (s *ctxSlot) set(v any) {
	s.given = v
	switch x := v.(type) {
	case float64:
		s.num = x
	case string:
		s.str = x
	case bool:
		s.boolean = x
	}
}

// slotRef returns an interface holding a T that is read from *p each time
// the interface is read: an interface of a non-pointer type T is a type word
// and a pointer to the value, and this one points at *p. T must not be
// pointer-shaped (int, float64, string and bool are not).
func slotRef[T int | float64 | string | bool](p *T) any {
	var zero T
	v := any(zero)
	(*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1] = unsafe.Pointer(p)
	return v
}

func newEvaluator(l *layout) *evaluator {
	ev := &evaluator{vm: vm.VM{MemoryBudget: MemoryBudget}, env: make(map[string]any, l.size())}
	if l.score {
		ev.env["risk_score"] = slotRef(&ev.slots.score)
	}
	for _, c := range l.checks {
		if c.index >= 0 {
			// expr compares checks as strings: the slot is typed string, which
			// report.CheckValue is underneath.
			ev.env[c.key] = slotRef((*string)(unsafe.Pointer(&ev.slots.checks[c.index])))
		}
	}
	ev.slots.context = make([]ctxSlot, len(l.context))
	for i, f := range l.context {
		s := &ev.slots.context[i]
		switch f.typ {
		case TypeNumber:
			s.ref = slotRef(&s.num)
		case TypeString:
			s.ref = slotRef(&s.str)
		case TypeBool:
			s.ref = slotRef(&s.boolean)
		}
	}
	return ev
}
