package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/verdicthq/verdict/decision"
	"github.com/verdicthq/verdict/engine"
	"github.com/verdicthq/verdict/internal/reload"
	"github.com/verdicthq/verdict/report"
)

func init() {
	register(&command{name: "eval", summary: "decide one report offline with the policies", run: runEval})
}

// runEval decides one report file with the policies and prints the decision.
func runEval(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("eval", "--report FILE [--context JSON] [--rules PATH] [--format json|text] [--now TIME] [--list LIST]... [--counter COUNTER]...",
		"Decides one Roundtable report with the policies, offline, and prints the decision. Lists hold what --list gives\n(file-backed lists their files), counters read what --counter gives, else 0.")
	reportFile := fs.String("report", "", "the report JSON `FILE` (required)")
	ctxJSON := fs.String("context", "", "caller context as a `JSON` object, e.g. '{\"amount\": 120}'")
	rules := fs.String("rules", "rules", "the policy `PATH`: a folder (a set) or one policy file")
	format := fs.String("format", "json", "the output, `json|text`")
	nowFlag := fs.String("now", "", "the decision's `TIME`, RFC 3339 (what now() returns in rules); default: now")
	listVals, counterVals := listFlag{}, counterFlag{}
	fs.Var(listVals, "list", "a `LIST`'s contents, as NAME=V1,V2 (repeatable); other lists are empty, file-backed ones hold their files")
	fs.Var(counterVals, "counter", "a `COUNTER`'s value, as NAME=N (repeatable); other counters read 0")
	if code, ok := fs.parseNoArgs(args, stdout, stderr); !ok {
		return code
	}
	switch {
	case *reportFile == "":
		return fs.usageError(stderr, "--report is required")
	case *format != "json" && *format != "text":
		return fs.usageError(stderr, "--format %q: want json or text", *format)
	}
	now := time.Now().UTC()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339Nano, *nowFlag)
		if err != nil {
			return fs.usageError(stderr, "--now %q: want an RFC 3339 time such as 2031-06-01T00:00:00Z", *nowFlag)
		}
		now = t.UTC()
	}
	raw, err := os.ReadFile(*reportFile)
	if err != nil {
		fmt.Fprintln(stderr, "verdict eval:", err)
		return 1
	}
	rep, err := report.Decode(raw)
	if err != nil {
		fmt.Fprintf(stderr, "verdict eval: %s: %v\n", *reportFile, err)
		return 1
	}
	var ctx map[string]any
	if *ctxJSON != "" {
		if ctx, err = parseContextFlag(*ctxJSON); err != nil {
			fmt.Fprintln(stderr, "verdict eval: --context must be one JSON object:", err)
			return 2
		}
	}
	set, err := loadSet(*rules)
	if err != nil {
		fmt.Fprintf(stderr, "verdict eval: the policies in %s do not load:\n", *rules)
		printLoadError(stderr, err)
		return 1
	}
	mem := &evalMemory{dir: rulesDir(*rules), lists: listVals, counters: counterVals}
	p := decision.Pipeline{Policies: decision.Static(set), Memory: mem}
	res, err := p.Decide(context.Background(), decision.Request{SessionID: rep.SessionID, Report: rep, Context: ctx, Now: now})
	if err != nil {
		fmt.Fprintln(stderr, "verdict eval:", err)
		return 2
	}
	if mem.err != nil {
		fmt.Fprintln(stderr, "verdict eval:", mem.err)
		return 2
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(res.Live)
		return 0
	}
	printDecision(stdout, rep.SessionID, res.Live)
	switch {
	case res.Shadow != nil:
		sd := res.Shadow
		fmt.Fprintf(stdout, "shadow: %s by %s (%.12s), not returned to callers\n", sd.Outcome, sd.Policy.Name, sd.Policy.Version)
	case res.ShadowError != "":
		fmt.Fprintf(stdout, "shadow: not evaluated: %s\n", res.ShadowError)
	}
	return 0
}

// loadSet loads a folder as a set, or a single file as a set of one.
func loadSet(path string) (*engine.Set, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return reload.LoadDir(path)
	}
	return engine.LoadFiles(filepath.Dir(path), []string{path})
}

func printDecision(w io.Writer, session string, d engine.Decision) {
	fmt.Fprintf(w, "session %s: %s (reason: %s)\n", session, d.Outcome, d.Reason)
	fmt.Fprintf(w, "policy:  %s %s\n", d.Policy.Name, d.Policy.Version)
	if d.Score != nil {
		fmt.Fprintf(w, "score:   %d\n", *d.Score)
	}
	if len(d.FiredRules) == 0 {
		fmt.Fprintln(w, "no rule fired")
	}
	for _, f := range d.FiredRules {
		fmt.Fprintf(w, "fired:   %s ->", f.ID)
		if f.Action != "" {
			fmt.Fprintf(w, " %s", f.Action)
		}
		if f.Score != nil {
			fmt.Fprintf(w, " %+d", *f.Score)
		}
		if f.Description != "" {
			fmt.Fprintf(w, "  (%s)", f.Description)
		}
		fmt.Fprintln(w)
		for _, in := range f.Inputs.Sorted() {
			v, _ := json.Marshal(in.Value)
			fmt.Fprintf(w, "           %s = %s\n", in.Path, v)
		}
	}
	for _, e := range d.RuleErrors {
		fmt.Fprintf(w, "error:   rule %q at %s: %s\n", e.RuleID, e.Position, e.Message)
	}
	if m := d.Memory; m != nil {
		for _, l := range m.Lists {
			fmt.Fprintf(w, "read:    lists.%s %q: member %v\n", l.List, l.Value, l.Member)
		}
		for _, c := range m.Counters {
			if c.KeyMissing {
				fmt.Fprintf(w, "read:    counters.%s = 0 (no key)\n", c.Counter)
				continue
			}
			fmt.Fprintf(w, "read:    counters.%s[%s] = %v\n", c.Counter, c.Key, c.Value)
		}
	}
}
