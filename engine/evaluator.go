package engine

import (
	"github.com/expr-lang/expr/vm"
)

// evaluator is a VM and an env map, pooled per policy so that a decision
// allocates neither. The env is refilled with plain map writes for each
// decision (see layout.fill); it holds only interface values that no later
// decision changes (boxed check words, the caller's own context values, a
// fresh map for a whole check group), so an explanation may keep any value it
// reads from it.
type evaluator struct {
	vm      vm.VM
	env     map[string]any
	guard   guard       // the loop guard, reset per decision (see guard.go)
	entries []FiredRule // the entry slab's part not yet handed out, see entry
	free    Inputs      // the input slab's part not yet handed out, see inputs

	lists        Lists         // the decision's lists; nil between decisions
	ruleStart    int           // where the running rule's list reads start in listReads
	listReads    []ListRead    // the decision's memberships, written into the list slab's free part
	counterReads []CounterRead // the decision's counter values, written into the counter slab's free part
	mems         []Memory      // slabs the decisions' Memory and reads are cut from (see memory)
	listFree     []ListRead
	counterFree  []CounterRead
}

func newEvaluator(l *layout, steps int64) *evaluator {
	ev := &evaluator{vm: vm.VM{MemoryBudget: MemoryBudget}, env: make(map[string]any, l.size())}
	ev.guard.limit = steps
	ev.env[guardKey] = &ev.guard
	for _, s := range l.lists {
		ev.env[s.key] = ev.listFunc(s)
	}
	return ev
}
