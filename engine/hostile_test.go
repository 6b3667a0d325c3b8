package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// hostileCase is one case of testdata/hostile/policies/cases.yaml.
type hostileCase struct {
	Name     string              `yaml:"name"`
	File     string              `yaml:"file"`
	Generate *generator          `yaml:"generate"`
	Limits   map[string]int      `yaml:"limits"`
	Report   string              `yaml:"report"`
	Lists    map[string][]string `yaml:"lists"`    // list contents for the decision
	Counters map[string]float64  `yaml:"counters"` // counter values for the decision
	Expect   struct {
		Error *struct {
			Code, At, Message string
		} `yaml:"error"`
		Outcome Outcome `yaml:"outcome"`
	} `yaml:"expect"`
}

// generator makes a hostile policy too big to commit.
type generator struct {
	Kind string `yaml:"kind"`
	N    int    `yaml:"n"`
}

const hostileHead = "name: gen\ndefault: allow\non_error: review\n"

func (g *generator) policy() []byte {
	var b strings.Builder
	b.WriteString(hostileHead)
	switch g.Kind {
	case "parens":
		fmt.Fprintf(&b, "rules:\n  - id: deep\n    when: '%srisk_score > 1%s'\n    action: deny\n", strings.Repeat("(", g.N), strings.Repeat(")", g.N))
	case "ternary":
		fmt.Fprintf(&b, "rules:\n  - id: deep\n    when: '%sfalse'\n    action: deny\n", strings.Repeat("risk_score > 1 ? true : ", g.N))
	case "unary":
		fmt.Fprintf(&b, "rules:\n  - id: deep\n    when: '%s(risk_score > 1)'\n    action: deny\n", strings.Repeat("!", g.N))
	case "wide-rules": // N rules naming one variable of nearly Limits.Nodes nodes
		terms := make([]string, 490)
		for i := range terms {
			terms[i] = fmt.Sprintf("risk_score > %d", i)
		}
		fmt.Fprintf(&b, "variables:\n  big: '%s'\nrules:\n", strings.Join(terms, " || "))
		for i := range g.N {
			fmt.Fprintf(&b, "  - {id: r%d, when: big, action: deny}\n", i)
		}
	case "big-variables": // N variables of 47 nodes each
		terms := make([]string, 12)
		for i := range terms {
			terms[i] = fmt.Sprintf("risk_score > %d", i)
		}
		b.WriteString("variables:\n")
		for i := range g.N {
			fmt.Fprintf(&b, "  v%d: '%s'\n", i, strings.Join(terms, " || "))
		}
		b.WriteString("rules:\n  - {id: r, when: v1, action: deny}\n")
	case "misspelt": // N variables with long names, and N rules each naming a misspelt one
		b.WriteString("variables:\n")
		for i := range g.N {
			fmt.Fprintf(&b, "  v%040d: risk_score > 1\n", i)
		}
		b.WriteString("rules:\n")
		for i := range g.N {
			fmt.Fprintf(&b, "  - {id: r%d, when: 'w%040d > 1', action: deny}\n", i, i)
		}
	case "context-fields", "wide-context": // N declared context fields and 200 rules, or 1,000 fields and N rules
		fields, rules := g.N, 200
		if g.Kind == "wide-context" {
			fields, rules = 1000, g.N
		}
		b.WriteString("context:\n")
		for i := range fields {
			fmt.Fprintf(&b, "  f%d: number\n", i)
		}
		b.WriteString("rules:\n")
		for i := range rules {
			fmt.Fprintf(&b, "  - {id: r%d, when: 'risk_score > %d && (context.f%d ?? 0) >= 0', action: deny}\n", i, i, i%fields)
		}
	case "extra-checks": // N rules each reading its own undocumented check
		b.WriteString("rules:\n")
		for i := range g.N {
			fmt.Fprintf(&b, "  - {id: r%d, when: 'device_checks[\"x%d\"] == \"Detected\"', action: deny}\n", i, i)
		}
	case "yaml-depth":
		fmt.Fprintf(&b, "rules: %s%s\n", strings.Repeat("[", g.N), strings.Repeat("]", g.N))
	case "bigfile":
		b.WriteString("rules:\n  - {id: r, when: 'risk_score > 1', action: deny}\n")
		for b.Len() < g.N {
			b.WriteString("# padding padding padding padding padding padding padding padding\n")
		}
	case "variables":
		b.WriteString("variables:\n")
		for i := range g.N {
			fmt.Fprintf(&b, "  v%d: risk_score > %d\n", i, i)
		}
		b.WriteString("rules:\n  - {id: r, when: 'v1', action: deny}\n")
	case "chain", "growing-chain":
		b.WriteString("variables:\n  v0: risk_score > 1\n")
		for i := 1; i < g.N; i++ {
			if g.Kind == "chain" {
				fmt.Fprintf(&b, "  v%d: v%d\n", i, i-1)
			} else {
				fmt.Fprintf(&b, "  v%d: v%d && risk_score > %d\n", i, i-1, i%100)
			}
		}
		fmt.Fprintf(&b, "rules:\n  - {id: r, when: 'v%d', action: deny}\n", g.N-1)
	default:
		panic("unknown generator " + g.Kind)
	}
	return []byte(b.String())
}

// TestHostilePolicies loads every hostile policy and checks its expected
// result: a load error with its code and position, or the decision of a
// policy that loads. No load may crash, hang or take over 1 s of CPU (the
// bound of issue 10; the slowest case takes about 0.2 s).
func TestHostilePolicies(t *testing.T) {
	const dir = "../testdata/hostile/policies"
	data, err := os.ReadFile(filepath.Join(dir, "cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Cases []hostileCase `yaml:"cases"`
	}
	if err := yaml.Unmarshal(data, &suite); err != nil {
		t.Fatal(err)
	}
	if len(suite.Cases) < 10 {
		t.Fatalf("only %d cases", len(suite.Cases))
	}
	for _, tc := range suite.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			name, src := tc.File, []byte(nil)
			if tc.Generate != nil {
				name, src = "generated.yaml", tc.Generate.policy()
			} else if src, err = os.ReadFile(filepath.Join(dir, tc.File)); err != nil {
				t.Fatal(err)
			}
			lim := DefaultLimits
			for k, v := range tc.Limits {
				f := reflect.ValueOf(&lim).Elem().FieldByName(k)
				if !f.IsValid() {
					t.Fatalf("no limit %s", k)
				}
				f.SetInt(int64(v))
			}
			start, cpu := time.Now(), cpuTime(t)
			p, err := lim.ParsePolicy(name, src)
			checkLoadTime(t, cpuTime(t)-cpu, time.Since(start))
			if want := tc.Expect.Error; want != nil {
				les, ok := err.(LoadErrors)
				if !ok || len(les) == 0 {
					t.Fatalf("loaded (err %v), want a %s error at %s", err, want.Code, want.At)
				}
				e := les[0]
				if got := fmt.Sprintf("%d:%d", e.Line, e.Col); e.Code != want.Code || got != want.At || !strings.Contains(e.Message, want.Message) {
					t.Errorf("first error %s (code %s), want code %s at %s containing %q", e, e.Code, want.Code, want.At, want.Message)
				}
				return
			}
			if err != nil {
				t.Fatalf("does not load: %v", err)
			}
			lists, err := NewStaticLists(p.Lists(), tc.Lists)
			if err != nil {
				t.Fatal(err)
			}
			counters := map[string]CounterValue{}
			for k, v := range tc.Counters {
				counters[k] = CounterValue{Key: "k", Value: v}
			}
			d := p.Evaluate(Facts{Report: mustReport(t, demoReport(t, tc.Report)), Lists: lists, Counters: counters, Context: map[string]any{"ip": "10.0.0.1"}})
			if d.Outcome != tc.Expect.Outcome || len(d.RuleErrors) > 0 {
				t.Errorf("decided %s (%s) %v, want %s", d.Outcome, d.Reason, d.RuleErrors, tc.Expect.Outcome)
			}
		})
	}
}

// TestEditDistanceWithin: the banded distance suggest uses agrees with the
// full one wherever the full one is within the band.
func TestEditDistanceWithin(t *testing.T) {
	words := []string{"", "a", "risk_score", "riskscore", "risk_scroe", "rsk_score", "device_checks", "devise_checks", "tags", "tag", "xyz"}
	for _, a := range words {
		for _, b := range words {
			full := editDistance(a, b)
			for k := 0; k <= 3; k++ {
				want := min(full, k+1)
				if got := editDistanceWithin(a, b, k); got != want {
					t.Errorf("editDistanceWithin(%q, %q, %d) = %d, want %d", a, b, k, got, want)
				}
			}
		}
	}
}

// TestGuardStopsRunawayLoops: should a loop escape the static bound, the
// guard stops the rule at the decision's budget; the rule is recorded as
// failed and the decision falls to on_error.
func TestGuardStopsRunawayLoops(t *testing.T) {
	src, err := os.ReadFile("../testdata/hostile/policies/tags-loop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := mustPolicy(t, string(src))
	p.pool.New = func() any { return newEvaluator(&p.layout, 3) } // a budget a real bound never sets
	r := mustReport(t, `{"session_id":"s","risk_score":1,"tags":["a","b","c","checkout-flow"]}`)
	d := p.Evaluate(Facts{Report: r})
	if d.Reason != ReasonOnError || len(d.RuleErrors) != 1 || !strings.Contains(d.RuleErrors[0].Message, "budget") {
		t.Fatalf("got %s/%s %v, want on_error with a budget error", d.Outcome, d.Reason, d.RuleErrors)
	}
}

// TestInputsOverTheBoundFallToOnError: an input larger than the static cost
// assumes (Limits.InputString, InputItems), at any depth, is not evaluated
// over: the decision is on_error, naming the input.
func TestInputsOverTheBoundFallToOnError(t *testing.T) {
	lim := DefaultLimits
	lim.InputItems, lim.InputString = 3, 10
	policy := func(t *testing.T, when string) *Policy {
		p, err := lim.ParsePolicy("inputs.yaml", []byte(hostileHead+"context: {note: string}\nrules:\n  - {id: r, when: '"+when+"', action: deny}\n"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	within := `{"session_id":"s","risk_score":1,"tags":["a","b"]}`
	cases := []struct {
		name, when, report string
		ctx                map[string]any
		want               string // "" when the decision is evaluated
	}{
		{"tags within", `any(tags, # == "a")`, within, nil, ""},
		{"too many tags", `any(tags, # == "a")`, `{"session_id":"s","risk_score":1,"tags":["a","b","c","d"]}`, nil, "tags: has 4 entries"},
		{"a tag too long", `any(tags, # == "a")`, `{"session_id":"s","risk_score":1,"tags":["a","bbbbbbbbbbbbbbbb"]}`, nil, "tags[]: has 16 bytes"},
		{"a declared text too long", `context.note == "x"`, within, map[string]any{"note": "xxxxxxxxxxxxxxxx"}, "context.note: has 16 bytes"},
		{"an undeclared field nested too long", `len(context.deep) > 0`, within,
			map[string]any{"deep": []any{map[string]any{"s": "xxxxxxxxxxxxxxxxxxxx"}}}, "context.deep[].s: has 20 bytes"},
		{"an undeclared field within", `len(context.deep) > 0`, within, map[string]any{"deep": []any{"x"}}, ""},
		{"a score outside 0..100 (a report built by hand)", `count(1..risk_score, # > 0) > 0`, within, nil, "risk_score: is 1000000000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustReport(t, tc.report)
			if tc.name == "a score outside 0..100 (a report built by hand)" {
				r.RiskScore = 1_000_000_000
			}
			d := policy(t, tc.when).Evaluate(Facts{Report: r, Context: tc.ctx})
			if tc.want == "" {
				if d.Reason == ReasonOnError {
					t.Fatalf("on_error: %v", d.RuleErrors)
				}
				return
			}
			if d.Reason != ReasonOnError || d.Outcome != Review || len(d.RuleErrors) != 1 || !strings.Contains(d.RuleErrors[0].Message, tc.want) {
				t.Fatalf("got %s/%s %v, want on_error naming %q", d.Outcome, d.Reason, d.RuleErrors, tc.want)
			}
		})
	}
}

// editDistance is the plain Levenshtein distance, the reference for
// editDistanceWithin.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
