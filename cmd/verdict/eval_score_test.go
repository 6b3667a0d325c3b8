package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalScore: `verdict eval` prints a score policy's total and each fired
// rule's score, in text and in JSON.
func TestEvalScore(t *testing.T) {
	dir := t.TempDir()
	policy := `name: cards
default: allow
on_error: review
strategy: score
bands: { review: 40, deny: 80 }
rules:
  - { id: vpn, when: device_checks.vpn == "Detected", score: 25 }
  - { id: risky, when: risk_score >= 50, score: 30 }
  - { id: low, when: risk_score < 10, score: -5 }
`
	rep := `{"session_id":"s-1","user_id":"u-1","tags":[],"risk_score":60,"device_checks":{"vpn":"Detected"}}`
	if err := os.WriteFile(filepath.Join(dir, "cards.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	rf := filepath.Join(dir, "r.json")
	if err := os.WriteFile(rf, []byte(rep), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("eval", "--rules", dir, "--report", rf, "--format", "text")
	if code != 0 || !strings.Contains(out, "session s-1: review") || !strings.Contains(out, "score:   55\n") ||
		!strings.Contains(out, "fired:   vpn -> +25") || !strings.Contains(out, "fired:   risky -> +30") {
		t.Fatalf("exit %d\n%s\nstderr: %s", code, out, errOut)
	}
	code, out, errOut = run("eval", "--rules", dir, "--report", rf)
	if code != 0 || !strings.Contains(out, `"score": 55`) || !strings.Contains(out, `"score": 25`) {
		t.Fatalf("exit %d\n%s\nstderr: %s", code, out, errOut)
	}
}

// TestEvalMemory: an offline eval takes lists and counters from --list and
// --counter (file-backed lists from their files, other counters 0) and
// prints what the decision read; an undeclared name is exit 2.
func TestEvalMemory(t *testing.T) {
	dir := t.TempDir()
	policy := `name: mem
default: allow
on_error: review
context: { ip: string }
lists:
  blocked_users: {}
  vip_users: { file: lists/vip.txt }
  bad_networks: { kind: cidr }
counters:
  user_denials_7d: { key: user_id, window: 7d, where: outcome == "deny" }
rules:
  - { id: blocked, when: user_id in lists.blocked_users && user_id not in lists.vip_users, action: deny }
  - { id: net, when: context.ip in lists.bad_networks, action: review }
  - { id: repeat, when: counters.user_denials_7d >= 3, action: deny }
`
	if err := os.MkdirAll(filepath.Join(dir, "lists"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"mem.yaml": policy, "lists/vip.txt": "u-vip\n",
		"r.json": `{"session_id":"s-1","user_id":"u-1","tags":[],"risk_score":5}`, "vip.json": `{"session_id":"s-2","user_id":"u-vip","tags":[],"risk_score":5}`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		args    []string
		code    int
		outcome string
		out     string
	}{
		{"nothing listed", []string{"--report", "r.json"}, 0, "allow", "read:    counters.user_denials_7d[u-1] = 0"},
		{"blocked", []string{"--report", "r.json", "--list", "blocked_users=u-1,u-2"}, 0, "deny", `lists.blocked_users = true`},
		{"blocked but vip from the file", []string{"--report", "vip.json", "--list", "blocked_users=u-vip"}, 0, "allow", `read:    lists.vip_users "u-vip": member true`},
		{"network and counter", []string{"--report", "r.json", "--context", `{"ip":"10.2.3.4"}`, "--list", "bad_networks=10.0.0.0/8", "--counter", "user_denials_7d=3"}, 0, "deny", "counters.user_denials_7d = 3"},
		{"undeclared list", []string{"--report", "r.json", "--list", "nope=x"}, 2, "", `list "nope" is not declared`},
		{"bad counter flag", []string{"--report", "r.json", "--counter", "user_denials_7d=lots"}, 2, "", "NAME=NUMBER"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"eval", "--rules", dir, "--format", "text"}
			for i, a := range tc.args {
				if i > 0 && tc.args[i-1] == "--report" {
					a = filepath.Join(dir, a)
				}
				args = append(args, a)
			}
			code, out, errOut := run(args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.out) || (tc.outcome != "" && !strings.Contains(out, ": "+tc.outcome+" (")) {
				t.Fatalf("exit %d (want %d)\n%s\nstderr: %s", code, tc.code, out, errOut)
			}
		})
	}
}
