// Package engine is verdict's policy engine: it parses the risk team's YAML
// policies strictly, validates them, compiles every rule and variable once with
// expr against a typed environment (the Roundtable report, the caller's
// context and the policy's variables), evaluates them over a report, combines
// the actions into one Decision and explains it (each fired rule with the
// values it read). Loading is bounded (Limits: file size, expression length
// and nesting, variables, rules) and every rule's worst-case cost per decision
// is computed at load (cost.go): a policy over the limits does not load, and a
// loop guard and input checks stop whatever escapes the bound at run time
// (guard.go). now() in an expression is the decision's time, Facts.Now.
// Policies declare lists (x in lists.name) and counters (counters.name) they
// read (memory*.go): the engine compiles and type-checks them, evaluates
// counters' key, where and value expressions for the pipeline
// (CounterDecl.Key, Contribution), and records every membership and counter
// value a decision read in Decision.Memory; it stores none of them. A
// folder of policies loads as a Set, which picks the policy
// for a session by its tags; Live swaps sets atomically on reload. Policy test
// suites (*_test.yaml) run through RunSuite.
//
// The engine knows nothing of HTTP, storage or the Roundtable client: it
// imports only package report, for the report type.
package engine
