package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// labelsLog makes a SQLite decision log holding decisions dec-0 .. dec-9.
func labelsLog(t *testing.T) (string, audit.Labels) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "verdict.db")
	s := audittest.MustOpen(t, path, audit.Options{})
	for i := range 10 {
		tr := audittest.SampleTrace(i)
		tr.ID = fmt.Sprintf("dec-%d", i)
		audittest.MustAppend(t, s, tr)
	}
	return path, s.(audit.Labels)
}

func TestLabelsImport(t *testing.T) {
	db, lb := labelsLog(t)
	csv := filepath.Join(t.TempDir(), "chargebacks.csv")
	if err := os.WriteFile(csv, []byte("decision_id,label,reason,occurred_at\ndec-0,fraud,chargeback,2026-11-20T10:00:00Z\n"+
		"dec-1,legitimate,,2026-11-21\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("labels", "import", "--database", db, csv)
	if code != 0 || !strings.Contains(out, "2 labels added, 0 already in force, 0 refused") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var got []string
	if err := lb.EachLabel(context.Background(), func(l *audit.Label) error {
		got = append(got, fmt.Sprintf("%s=%s/%s@%s by %s", l.Value, l.Label, l.Reason, l.OccurredAt.Format("2006-01-02"), l.By))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := "[dec-0=fraud/chargeback@2026-11-20 by import dec-1=legitimate/chargeback@2026-11-21 by import]"; fmt.Sprint(got) != want {
		t.Fatalf("labels %v\nwant %s", got, want)
	}
	for _, c := range []struct {
		args []string
		code int
	}{{[]string{"labels"}, 2}, {[]string{"labels", "import"}, 2}, {[]string{"labels", "import", "--database", db, "/no/such.csv"}, 1}, {[]string{"labels", "--help"}, 0}} {
		if code, _, _ := run(c.args...); code != c.code {
			t.Errorf("%v: exit %d, want %d", c.args, code, c.code)
		}
	}
}

// TestLabelsImportHostile runs testdata/hostile/loop/labels-csv.json.
func TestLabelsImportHostile(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/hostile/loop/labels-csv.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []struct {
			Name, CSV, Stdout, Stderr string
			Exit                      int
			Twice                     bool
		}
	}
	if err := json.Unmarshal(raw, &corpus); err != nil || len(corpus.Cases) == 0 {
		t.Fatalf("corpus: %d cases, %v", len(corpus.Cases), err)
	}
	for _, c := range corpus.Cases {
		t.Run(c.Name, func(t *testing.T) {
			db, _ := labelsLog(t)
			body := strings.ReplaceAll(c.CSV, `\xff`, "\xff")
			body = strings.ReplaceAll(body, "{{BIG}}", strings.Repeat("x", 1<<20))
			file := filepath.Join(t.TempDir(), "in.csv")
			if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if c.Twice {
				if code, out, errOut := run("labels", "import", "--database", db, file); code != 0 {
					t.Fatalf("first import: exit %d\n%s%s", code, out, errOut)
				}
			}
			code, out, errOut := run("labels", "import", "--database", db, file)
			if code != c.Exit || !strings.Contains(out, c.Stdout) || !strings.Contains(errOut, c.Stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, trim(errOut), c.Exit, c.Stdout, c.Stderr)
			}
		})
	}
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func TestRulesPerformance(t *testing.T) {
	db, lb := labelsLog(t)
	if _, err := lb.AddLabels(context.Background(), []audit.Label{{Target: audit.TargetDecision, Value: "dec-1", Label: audit.LabelFraud}}); err != nil {
		t.Fatal(err)
	}
	// the sample decisions are of 2026-11-01: --since 2026-10-01 holds them all
	code, out, errOut := run("rules", "performance", "--database", db, "--since", "2026-10-01")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// dec-1 (review) fired bot-behind-anonymizer alone, and is the one labelled fraud.
	for _, want := range []string{"10 decisions, 1 labels", "POLICY", "bot-behind-anonymizer", "100.0%", "checkout: 10 decisions, 1 labelled fraud"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run("rules", "performance", "--database", db, "--since", "2026-10-01", "--format", "json")
	var p audit.Performance
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil || p.Decisions != 10 {
		t.Fatalf("json: exit %d, %+v\n%s", code, p, out)
	}
}
