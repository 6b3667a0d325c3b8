package engine

// Explanations are the only memory a decision keeps of its own. Rather than
// allocate each fired rule's entry and inputs apart, an evaluator cuts them
// from two slabs it allocates a few dozen at a time.

// Slab sizes: how many fired-rule entries and inputs an evaluator
// allocates at once.
const (
	entrySlab = 32
	inputSlab = 128
)

// entry hands out a fired-rule entry, as a slice of length and capacity 1
// (a second fired rule is appended to a new array), for a decision to keep.
// Entries are cut from a slab of entrySlab allocated at once: one allocation
// per 32 decisions that fire a rule instead of one each. An entry is never
// handed out twice, so decisions share no memory they can see; a slab lives
// as long as any of its decisions does.
func (ev *evaluator) entry() []FiredRule {
	if len(ev.entries) == 0 {
		ev.entries = make([]FiredRule, entrySlab)
	}
	e := ev.entries[:1:1]
	ev.entries = ev.entries[1:]
	return e
}

// inputs hands out n zeroed inputs for a decision to keep, cut from a slab
// of inputSlab as entry does (a rule reading more gets its own).
func (ev *evaluator) inputs(n int) Inputs {
	if len(ev.free) < n {
		if n > inputSlab {
			return make(Inputs, n)
		}
		ev.free = make(Inputs, inputSlab)
	}
	in := ev.free[:n:n]
	ev.free = ev.free[n:]
	return in
}
