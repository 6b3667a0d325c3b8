package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSuiteMemory: suite cases give lists and counters inline, read
// file-backed lists from their files, and may assert the score.
func TestSuiteMemory(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"cards.yaml": `name: cards
default: allow
on_error: review
strategy: score
bands: { review: 40, deny: 80 }
lists:
  blocked_users: {}
  vip_users: { file: lists/vip_users.txt }
counters:
  user_denials_7d: { key: user_id, window: 7d, where: outcome == "deny" }
rules:
  - { id: blocked, when: user_id in lists.blocked_users, action: deny }
  - { id: vip, when: user_id in lists.vip_users, score: -50 }
  - { id: vpn, when: device_checks.vpn == "Detected", score: 45 }
  - { id: repeat, when: counters.user_denials_7d >= 3, score: 40 }
`,
		"lists/vip_users.txt": "# VIPs\nu-vip\n\n",
		"cards_test.yaml": `cases:
  - name: blocked
    report: {session_id: s, user_id: u-1, tags: [], risk_score: 1}
    lists: {blocked_users: [u-1]}
    expect: {outcome: deny, fired: [blocked], score: 0}
  - name: vip from the file
    report: {session_id: s, user_id: u-vip, tags: [], risk_score: 1, device_checks: {vpn: Detected}}
    expect: {outcome: allow, fired: [vip, vpn], score: -5}
  - name: repeat offender behind a vpn
    report: {session_id: s, user_id: u-1, tags: [], risk_score: 1, device_checks: {vpn: Detected}}
    counters: {user_denials_7d: 3}
    expect: {outcome: deny, score: 85}
  - name: no user, the counter reads 0
    report: {session_id: s, tags: [], risk_score: 1, device_checks: {vpn: Detected}}
    counters: {user_denials_7d: 3}
    expect: {outcome: review, fired: [vpn], score: 45}
  - name: a wrong score fails
    report: {session_id: s, user_id: u-1, tags: [], risk_score: 1}
    expect: {outcome: allow, score: 7}
`,
	})
	set, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := set.RunSuite(filepath.Join(dir, "cards_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range res.Cases {
		last := i == len(res.Cases)-1
		if c.Passed == last {
			t.Errorf("case %q passed=%v: %v", c.Name, c.Passed, c.Problems)
		}
	}
	if p := res.Cases[len(res.Cases)-1].Problems; len(p) != 1 || !strings.Contains(p[0], "score: expected 7, got 0") {
		t.Errorf("problems %v", p)
	}
	if m := res.Cases[3].Decision.Memory; m == nil || len(m.Counters) != 1 || !m.Counters[0].KeyMissing {
		t.Errorf("memory %+v, want the counter's key missing", m)
	}
}

func TestSuiteMemoryErrors(t *testing.T) {
	policy := "name: p\ndefault: allow\non_error: review\nlists: {l: {}}\nrules:\n  - {id: r, when: user_id in lists.l, action: deny}\n"
	for name, cs := range map[string]string{
		"undeclared list":    "lists: {other: [x]}",
		"undeclared counter": "counters: {c: 1}",
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"p.yaml": policy,
				"p_test.yaml": "cases:\n  - report: {session_id: s, tags: [], risk_score: 1}\n    " + cs + "\n    expect: {outcome: allow}\n"})
			set, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := set.RunSuite(filepath.Join(dir, "p_test.yaml")); err == nil || !strings.Contains(err.Error(), "not declared") {
				t.Fatalf("err %v, want one naming the undeclared name", err)
			}
		})
	}
}

func TestParseListFile(t *testing.T) {
	got, err := ParseListFile([]byte("# c\n a \n\nb\r\n#x\n"))
	if err != nil || strings.Join(got, ",") != "a,b" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := ParseListFile([]byte("ok\n" + strings.Repeat("x", MaxListValue+1) + "\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err %v, want line 2 over the limit", err)
	}
}

// TestSetMemoryUnion: one name in two policies is one list or counter; a
// kind clash or a different definition is a load error.
func TestSetMemoryUnion(t *testing.T) {
	base := "default: allow\non_error: review\n"
	a := "name: a\n" + base + "lists: {l: {description: first}}\ncounters: {c: {key: user_id, window: 1h}}\nrules:\n  - {id: r, when: user_id in lists.l && counters.c > 1, action: deny}\n"
	b := "name: b\nmatch: {tags: [x]}\n" + base + "lists: {l: {}, m: {kind: cidr}}\ncounters: {c: {key: user_id, window: 60m}}\nrules:\n  - {id: r, when: user_id in lists.l, action: deny}\n"
	set, err := LoadSources("d", []Source{{File: "a.yaml", Data: []byte(a)}, {File: "b.yaml", Data: []byte(b)}})
	if err != nil {
		t.Fatal(err)
	}
	if l := set.Lists(); len(l) != 2 || l[0].Name != "l" || l[0].Description != "first" || l[1].Kind != ListCIDR {
		t.Fatalf("lists %+v", l)
	}
	if c := set.Counters(); len(c) != 1 || c[0].Policy != "a" {
		t.Fatalf("counters %+v", c)
	}
	for name, bad := range map[string]string{
		"kind clash":         strings.Replace(b, "l: {}", "l: {kind: cidr}", 1),
		"file clash":         strings.Replace(b, "l: {}", "l: {file: l.txt}", 1),
		"counter definition": strings.Replace(b, "window: 60m", "window: 2h", 1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadSources("d", []Source{{File: "a.yaml", Data: []byte(a)}, {File: "b.yaml", Data: []byte(bad)}})
			les, ok := err.(LoadErrors)
			if !ok || len(les) != 1 || les[0].File != "b.yaml" || les[0].Line != 5+strings.Count(name, "counter") || !strings.Contains(les[0].Message, "one name is one") {
				t.Fatalf("err %v", err)
			}
		})
	}
}
