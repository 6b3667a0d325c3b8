package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/verdicthq/verdict/report"
	"gopkg.in/yaml.v3"
)

// IsSuiteFile reports whether a file name is a policy test suite (*_test.yaml or *_test.yml).
func IsSuiteFile(name string) bool {
	ext := filepath.Ext(name)
	return (ext == ".yaml" || ext == ".yml") && strings.HasSuffix(strings.TrimSuffix(name, ext), "_test")
}

// suiteFile is a test suite as written.
type suiteFile struct {
	Policy string      `yaml:"policy"`
	Cases  []suiteCase `yaml:"cases"`
}

type suiteCase struct {
	Name    string         `yaml:"name"`
	Report  yaml.Node      `yaml:"report"`
	Context map[string]any `yaml:"context"`
	Now     time.Time      `yaml:"now"` // the decision's time now() reads (RFC 3339); absent: the clock's
	// Lists are the contents of the policy's lists for the case, by name;
	// a list not given is empty, except a file-backed one, which holds its
	// file's values (read beside the policy).
	Lists map[string][]string `yaml:"lists"`
	// Counters are the values of the policy's counters for the case, by
	// name; a counter not given reads 0, and so does one whose key the case
	// lacks (as in serve).
	Counters map[string]float64 `yaml:"counters"`
	Expect   Expectation        `yaml:"expect"`
}

// Expectation is what a suite case expects of a decision.
type Expectation struct {
	Outcome  Outcome  `yaml:"outcome" json:"outcome"`
	Fired    []string `yaml:"fired" json:"fired,omitempty"`         // exactly these rules fire (any order); nil: not checked
	NotFired []string `yaml:"not_fired" json:"not_fired,omitempty"` // none of these fire
	Score    *int     `yaml:"score" json:"score,omitempty"`         // the total under strategy score; nil: not checked
}

// CaseResult is one case of a suite run.
type CaseResult struct {
	Name     string      `json:"name"`
	Passed   bool        `json:"passed"`
	Expected Expectation `json:"expected"`
	Decision Decision    `json:"decision"`
	Problems []string    `json:"problems,omitempty"` // why it failed, one line each
}

// SuiteResult is a suite run: every case and the rules the suite leaves
// untested (never seen firing, or never seen not firing).
type SuiteResult struct {
	File      string       `json:"file"`
	Policy    PolicyRef    `json:"policy"`
	Cases     []CaseResult `json:"cases"`
	Uncovered []string     `json:"uncovered,omitempty"`
}

// Passed reports whether every case passed.
func (r *SuiteResult) Passed() bool {
	for _, c := range r.Cases {
		if !c.Passed {
			return false
		}
	}
	return true
}

// RunSuite runs the test suite in file against the set. The suite names its
// policy with `policy:`; without it, the policy is the one whose file is the
// suite's name without _test (checkout_test.yaml tests checkout.yaml). Each
// case has a report (a JSON fixture path relative to the suite, or inline),
// an optional context, an optional time for now() (`now: 2031-06-01T00:00:00Z`;
// without it now() reads the clock) and the expected outcome and fired rules. An error
// means the suite itself could not run (unreadable, unknown key, bad fixture).
func (s *Set) RunSuite(file string) (*SuiteResult, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read suite %s: %w", file, err)
	}
	var sf suiteFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&sf); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("suite %s: %w", file, err)
	}
	p, err := s.suitePolicy(file, sf.Policy)
	if err != nil {
		return nil, err
	}
	if len(sf.Cases) == 0 {
		return nil, fmt.Errorf("suite %s: no cases", file)
	}
	res := &SuiteResult{File: file, Policy: p.Ref()}
	fired, notFired := map[string]bool{}, map[string]bool{}
	for i, c := range sf.Cases {
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("case %d", i+1)
		}
		r, err := suiteReport(file, &c.Report)
		if err != nil {
			return nil, fmt.Errorf("suite %s: case %q (line %d): %w", file, name, c.Report.Line, err)
		}
		facts, err := p.suiteFacts(r, c)
		if err != nil {
			return nil, fmt.Errorf("suite %s: case %q: %w", file, name, err)
		}
		d := p.Evaluate(facts)
		cr := CaseResult{Name: name, Expected: c.Expect, Decision: d}
		cr.Problems = compare(c.Expect, d)
		cr.Passed = len(cr.Problems) == 0
		res.Cases = append(res.Cases, cr)
		ids := firedIDs(d)
		for _, id := range p.RuleIDs() {
			if slices.Contains(ids, id) {
				fired[id] = true
			} else {
				notFired[id] = true
			}
		}
	}
	for _, id := range p.RuleIDs() {
		if !fired[id] {
			res.Uncovered = append(res.Uncovered, fmt.Sprintf("rule %q never fires in this suite", id))
		}
		if !notFired[id] {
			res.Uncovered = append(res.Uncovered, fmt.Sprintf("rule %q fires in every case of this suite", id))
		}
	}
	return res, nil
}

func (s *Set) suitePolicy(file, name string) (*Policy, error) {
	if name != "" {
		if p := s.Policy(name); p != nil {
			return p, nil
		}
		return nil, fmt.Errorf("suite %s: no policy named %q in the set", file, name)
	}
	base := filepath.Base(file)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(strings.TrimSuffix(base, ext), "_test")
	for _, p := range s.policies {
		pb := filepath.Base(p.file)
		if strings.TrimSuffix(pb, filepath.Ext(pb)) == stem {
			return p, nil
		}
	}
	return nil, fmt.Errorf("suite %s: no policy file %s.yaml beside it; name the policy with `policy:`", file, stem)
}

// suiteReport reads a case's report: a fixture path (relative to the suite) or an inline mapping.
func suiteReport(suite string, n *yaml.Node) (*report.Report, error) {
	var raw []byte
	switch n.Kind {
	case yaml.ScalarNode:
		path := n.Value
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(suite), path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read report fixture: %w", err)
		}
		raw = b
	case yaml.MappingNode:
		var m map[string]any
		if err := n.Decode(&m); err != nil {
			return nil, fmt.Errorf("inline report: %w", err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("inline report: %w", err)
		}
		raw = b
	default:
		return nil, errors.New("report: want a fixture path or an inline report")
	}
	return report.Decode(raw)
}

func firedIDs(d Decision) []string {
	ids := make([]string, len(d.FiredRules))
	for i, f := range d.FiredRules {
		ids[i] = f.ID
	}
	return ids
}

// compare lists how a decision differs from an expectation.
func compare(want Expectation, d Decision) []string {
	var probs []string
	if want.Outcome != d.Outcome {
		probs = append(probs, fmt.Sprintf("outcome: expected %s, got %s (reason %s)", want.Outcome, d.Outcome, d.Reason))
	}
	got := firedIDs(d)
	if want.Fired != nil {
		w, g := slices.Clone(want.Fired), slices.Clone(got)
		sort.Strings(w)
		sort.Strings(g)
		if !slices.Equal(w, g) {
			probs = append(probs, fmt.Sprintf("fired: expected [%s], got [%s]", strings.Join(w, ", "), strings.Join(g, ", ")))
		}
	}
	switch {
	case want.Score == nil:
	case d.Score == nil:
		probs = append(probs, fmt.Sprintf("score: expected %d, got none (the policy's strategy is not score)", *want.Score))
	case *want.Score != *d.Score:
		probs = append(probs, fmt.Sprintf("score: expected %d, got %d", *want.Score, *d.Score))
	}
	for _, id := range want.NotFired {
		if slices.Contains(got, id) {
			probs = append(probs, fmt.Sprintf("not_fired: %s fired", id))
		}
	}
	if len(probs) > 0 {
		for _, e := range d.RuleErrors {
			probs = append(probs, fmt.Sprintf("rule error: %s %s", e.RuleID, e.Message))
		}
	}
	return probs
}
