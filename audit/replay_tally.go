package audit

import (
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/report"
)

// ReplayReport is what a replay found: how the candidate policies would have
// moved the stored decisions.
type ReplayReport struct {
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// Read is every trace in the window; Replayed those decided again.
	Read     int64 `json:"read"`
	Replayed int64 `json:"replayed"`
	// NotReplayed counts, by report status, the traces whose report was not
	// had (their stored verdict was the policy's on_error).
	NotReplayed map[string]int64 `json:"not_replayed"`
	// Unreadable counts traces whose stored report or context no longer
	// decodes; UnreadableIDs names the first few.
	Unreadable    int64    `json:"unreadable"`
	UnreadableIDs []string `json:"unreadable_ids,omitempty"`
	// Changed counts replayed decisions whose outcome moved; RulesChanged
	// those that kept their outcome but fired a different set of rules.
	Changed      int64   `json:"changed"`
	ChangedShare float64 `json:"changed_share"`
	RulesChanged int64   `json:"rules_changed"`
	// CandidateRuleErrors counts decisions where a candidate rule failed at run time.
	CandidateRuleErrors int64 `json:"candidate_rule_errors"`
	// Transitions is the stored→candidate outcome matrix, all nine cells,
	// stored outcome major; Share is of Replayed.
	Transitions []Transition `json:"transitions"`
	// Rules are fire counts per rule id, stored against candidate.
	Rules []RuleFires `json:"rules"`
	// Policies count which stored policy version each candidate policy version replaced.
	Policies []PolicyMove `json:"policies"`
	// Samples are changed decisions, a few per transition, earliest first.
	Samples []ChangedDecision `json:"samples"`
	// ComputedMemory counts, by name ("lists.x", "counters.y"), the
	// decisions for which the candidate read a list membership or a counter
	// the stored decision had not: computed as of each decision's time from
	// the log and the list history instead of read from its trace.
	ComputedMemory map[string]int64 `json:"computed_memory,omitempty"`
	// Labels is the label-aware part (replay_labels.go); nil when the log
	// keeps no labels.
	Labels *LabelBacktest `json:"labels,omitempty"`

	ElapsedSeconds float64       `json:"elapsed_seconds"`
	PerSecond      float64       `json:"per_second"`
	Elapsed        time.Duration `json:"-"`
}

// Transition is one cell of the outcome matrix.
type Transition struct {
	From  engine.Outcome `json:"from"`
	To    engine.Outcome `json:"to"`
	Count int64          `json:"count"`
	Share float64        `json:"share"`
}

// RuleFires is how often a rule fired in the stored decisions and in the candidate's.
type RuleFires struct {
	ID        string `json:"id"`
	Stored    int64  `json:"stored"`
	Candidate int64  `json:"candidate"`
}

// PolicyMove counts decisions made by one stored policy version and decided
// again by one candidate policy version.
type PolicyMove struct {
	Stored    engine.PolicyRef `json:"stored"`
	Candidate engine.PolicyRef `json:"candidate"`
	Count     int64            `json:"count"`
}

// ChangedDecision is one decision whose outcome the candidate would change.
type ChangedDecision struct {
	ID             string         `json:"id"`
	DecidedAt      time.Time      `json:"decided_at"`
	SessionID      string         `json:"session_id"`
	From           engine.Outcome `json:"from"`
	To             engine.Outcome `json:"to"`
	StoredRules    []string       `json:"stored_rules"`
	CandidateRules []string       `json:"candidate_rules"`
}

var outcomes = []engine.Outcome{engine.Allow, engine.Review, engine.Deny}

type transKey struct{ from, to engine.Outcome }

type policyKey struct{ stored, candidate engine.PolicyRef }

// tally is one worker's counts; tallies merge at the end.
type tally struct {
	maxSamples                                                  int
	read, replayed, unreadable, changed, rulesChanged, ruleErrs int64
	unreadableIDs                                               []string
	notReplayed                                                 map[string]int64
	trans                                                       map[transKey]int64
	stored, candidate                                           map[string]int64
	policies                                                    map[policyKey]int64
	samples                                                     map[transKey][]ChangedDecision
	labels                                                      *labelTally // nil without labels
}

func newTally(maxSamples int) *tally {
	return &tally{maxSamples: maxSamples, notReplayed: map[string]int64{}, trans: map[transKey]int64{},
		stored: map[string]int64{}, candidate: map[string]int64{}, policies: map[policyKey]int64{},
		samples: map[transKey][]ChangedDecision{}}
}

func (t *tally) unreadableRow(id string) {
	t.unreadable++
	if len(t.unreadableIDs) < 10 {
		t.unreadableIDs = append(t.unreadableIDs, id)
	}
}

// add decides one stored row again and counts it.
func (t *tally) add(r *ReplayRow, decide Decider) {
	t.read++
	if r.ReportStatus != report.StatusOK {
		t.notReplayed[r.ReportStatus]++
		return
	}
	var tags, storedIDs []string
	var ctx map[string]any
	report, err := report.Decode(r.Report)
	if err == nil {
		err = json.Unmarshal(r.Tags, &tags)
	}
	if err == nil {
		err = json.Unmarshal(r.FiredRules, &storedIDs)
	}
	if err == nil && len(r.Context) > 0 {
		err = json.Unmarshal(r.Context, &ctx)
	}
	var mem *engine.Memory
	if err == nil && len(r.Memory) > 0 && string(r.Memory) != "null" {
		mem = new(engine.Memory)
		err = json.Unmarshal(r.Memory, mem)
	}
	if err != nil {
		t.unreadableRow(r.ID)
		return
	}
	if len(tags) == 0 {
		tags = report.Tags
	}
	d := decide(ReplayInput{ID: r.ID, DecidedAt: r.DecidedAt, Tags: tags, Report: report, Context: ctx, Memory: mem})
	t.replayed++
	from := r.Outcome
	k := transKey{from, d.Outcome}
	t.trans[k]++
	for _, id := range storedIDs {
		t.stored[id]++
	}
	candIDs := make([]string, len(d.FiredRules))
	for i, f := range d.FiredRules {
		candIDs[i] = f.ID
		t.candidate[f.ID]++
	}
	if len(d.RuleErrors) > 0 {
		t.ruleErrs++
	}
	if t.labels != nil {
		t.labels.add(r.ID, from, d, candIDs)
	}
	t.policies[policyKey{r.Policy, d.Policy}]++
	switch {
	case from != d.Outcome:
		t.changed++
		if storedIDs == nil {
			storedIDs = []string{}
		}
		t.sample(k, ChangedDecision{ID: r.ID, DecidedAt: r.DecidedAt, SessionID: r.SessionID,
			From: from, To: d.Outcome, StoredRules: storedIDs, CandidateRules: candIDs})
	case !sameSet(storedIDs, candIDs):
		t.rulesChanged++
	}
}

// sample keeps the earliest maxSamples changed decisions per transition.
func (t *tally) sample(k transKey, c ChangedDecision) {
	s := append(t.samples[k], c)
	sortSamples(s)
	if len(s) > t.maxSamples {
		s = s[:t.maxSamples]
	}
	t.samples[k] = s
}

func sortSamples(s []ChangedDecision) {
	sort.Slice(s, func(i, j int) bool {
		if !s[i].DecidedAt.Equal(s[j].DecidedAt) {
			return s[i].DecidedAt.Before(s[j].DecidedAt)
		}
		return s[i].ID < s[j].ID
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func (t *tally) merge(o *tally) {
	t.read += o.read
	t.replayed += o.replayed
	t.changed += o.changed
	t.rulesChanged += o.rulesChanged
	t.ruleErrs += o.ruleErrs
	t.unreadable += o.unreadable
	t.unreadableIDs = append(t.unreadableIDs, o.unreadableIDs...)
	for k, v := range o.notReplayed {
		t.notReplayed[k] += v
	}
	for k, v := range o.trans {
		t.trans[k] += v
	}
	for k, v := range o.stored {
		t.stored[k] += v
	}
	for k, v := range o.candidate {
		t.candidate[k] += v
	}
	for k, v := range o.policies {
		t.policies[k] += v
	}
	for k, s := range o.samples {
		for _, c := range s {
			t.sample(k, c)
		}
	}
	if t.labels != nil && o.labels != nil {
		t.labels.merge(o.labels)
	}
}

func share(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// report turns the merged counts into a ReplayReport in a stable order.
func (t *tally) report() *ReplayReport {
	rep := &ReplayReport{Read: t.read, Replayed: t.replayed, NotReplayed: t.notReplayed,
		Unreadable: t.unreadable, UnreadableIDs: t.unreadableIDs, Changed: t.changed,
		ChangedShare: share(t.changed, t.replayed), RulesChanged: t.rulesChanged, CandidateRuleErrors: t.ruleErrs,
		Transitions: []Transition{}, Rules: []RuleFires{}, Policies: []PolicyMove{}, Samples: []ChangedDecision{}}
	for _, from := range outcomes {
		for _, to := range outcomes {
			n := t.trans[transKey{from, to}]
			rep.Transitions = append(rep.Transitions, Transition{From: from, To: to, Count: n, Share: share(n, t.replayed)})
		}
	}
	ids := map[string]bool{}
	for id := range t.stored {
		ids[id] = true
	}
	for id := range t.candidate {
		ids[id] = true
	}
	for id := range ids {
		rep.Rules = append(rep.Rules, RuleFires{ID: id, Stored: t.stored[id], Candidate: t.candidate[id]})
	}
	sort.Slice(rep.Rules, func(i, j int) bool { return rep.Rules[i].ID < rep.Rules[j].ID })
	for k, n := range t.policies {
		rep.Policies = append(rep.Policies, PolicyMove{Stored: k.stored, Candidate: k.candidate, Count: n})
	}
	sort.Slice(rep.Policies, func(i, j int) bool {
		a, b := rep.Policies[i], rep.Policies[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Stored.Name+a.Stored.Version+a.Candidate.Version < b.Stored.Name+b.Stored.Version+b.Candidate.Version
	})
	for _, from := range outcomes {
		for _, to := range outcomes {
			rep.Samples = append(rep.Samples, t.samples[transKey{from, to}]...)
		}
	}
	if t.labels != nil {
		rep.Labels = t.labels.report()
	}
	sort.Strings(rep.UnreadableIDs)
	if len(rep.UnreadableIDs) > 10 {
		rep.UnreadableIDs = rep.UnreadableIDs[:10]
	}
	return rep
}
