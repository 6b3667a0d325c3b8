package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const listsPolicy = `name: lists
default: allow
on_error: review
context: { ip: string }
lists:
  blocked_users: { description: Users the risk team blocked }
  bad_networks: { kind: cidr }
  vip_users: { file: lists/vip.txt }
rules:
  - { id: blocked, when: 'user_id in lists.blocked_users || user_id in lists.vip_users || context.ip in lists.bad_networks', action: deny }
`

func listsFixture(t *testing.T) (rules, db string) {
	t.Helper()
	dir := t.TempDir()
	rules = filepath.Join(dir, "rules")
	must(t, os.MkdirAll(filepath.Join(rules, "lists"), 0o755))
	must(t, os.WriteFile(filepath.Join(rules, "lists.yaml"), []byte(listsPolicy), 0o644))
	must(t, os.WriteFile(filepath.Join(rules, "lists", "vip.txt"), []byte("u-vip\n"), 0o644))
	return rules, filepath.Join(dir, "verdict.db")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

func TestListsImportExport(t *testing.T) {
	rules, db := listsFixture(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "users.txt")
	must(t, os.WriteFile(plain, []byte("# blocked after chargebacks\nu-1\n\nu-2\r\nu-1\n"), 0o644))
	code, _, errOut := runCLI("lists", "import", "blocked_users", plain, "--rules", rules, "--database", db, "--comment", "chargeback")
	if code != 0 || !strings.Contains(errOut, "2 added, 1 updated") {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	csvFile := filepath.Join(dir, "nets.csv")
	must(t, os.WriteFile(filepath.Join(csvFile), []byte("value,comment,expires_at\n10.1.2.3/8,botnet,2099-01-01T00:00:00Z\n\"192.0.2.7\",\"a, b\",\n"), 0o644))
	if code, _, errOut := runCLI("lists", "import", "--rules", rules, "--database", db, "bad_networks", csvFile); code != 0 {
		t.Fatalf("import CSV: exit %d: %s", code, errOut)
	}
	code, out, errOut := runCLI("lists", "export", "blocked_users", "--database", db)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "value,comment,expires_at,added_at,updated_at,key_id" ||
		!strings.HasPrefix(lines[1], "u-1,chargeback,,") || !strings.HasSuffix(lines[1], ",cli") || !strings.HasPrefix(lines[2], "u-2,") {
		t.Errorf("export:\n%s", out)
	}
	_, out, _ = runCLI("lists", "export", "bad_networks", "--database", db)
	if !strings.Contains(out, "10.0.0.0/8,botnet,2099-01-01T00:00:00Z") || !strings.Contains(out, `192.0.2.7/32,"a, b",,`) {
		t.Errorf("export of the cidr list:\n%s", out)
	}
	// An export imports back as it was: every value present, updated.
	exported := filepath.Join(dir, "export.csv")
	_, out, _ = runCLI("lists", "export", "bad_networks", "--database", db)
	must(t, os.WriteFile(exported, []byte(out), 0o644))
	if code, _, errOut := runCLI("lists", "import", "bad_networks", exported, "--rules", rules, "--database", db); code != 0 || !strings.Contains(errOut, "0 added, 2 updated") {
		t.Errorf("re-import of an export: exit %d: %s", code, errOut)
	}
}

func TestListsImportRefuses(t *testing.T) {
	rules, db := listsFixture(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	must(t, os.WriteFile(bad, []byte("10.0.0.0/8\nnot-a-network\n"), 0o644))
	good := filepath.Join(dir, "good.txt")
	must(t, os.WriteFile(good, []byte("x\n"), 0o644))
	if code, _, errOut := runCLI("lists", "import", "blocked_users", good, "--rules", rules, "--database", db); code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a bad line", []string{"lists", "import", "bad_networks", bad, "--rules", rules, "--database", db}, 1, "bad.txt:2"},
		{"file-backed", []string{"lists", "import", "vip_users", good, "--rules", rules, "--database", db}, 1, "file-backed"},
		{"undeclared", []string{"lists", "import", "nope", good, "--rules", rules, "--database", db}, 1, "no policy"},
		{"missing file", []string{"lists", "import", "blocked_users", filepath.Join(dir, "none"), "--rules", rules, "--database", db}, 1, "no such file"},
		{"one argument", []string{"lists", "import", "blocked_users"}, 2, "want NAME and FILE"},
		{"no command", []string{"lists"}, 2, "no command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runCLI(c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q", code, c.code, errOut, c.want)
			}
		})
	}
	code, out, _ := runCLI("lists", "export", "bad_networks", "--database", db)
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("after refused imports the list holds:\n%s", out)
	}
}

// TestEvalReadsFileLists: verdict eval reads a file-backed list from the
// rules folder (its log lists are empty).
func TestEvalReadsFileLists(t *testing.T) {
	rules, _ := listsFixture(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reports", "demo-allow.json"))
	must(t, err)
	for _, c := range []struct{ user, want string }{{"u-vip", "deny"}, {"u-other", "allow"}} {
		rep := filepath.Join(t.TempDir(), "r.json")
		must(t, os.WriteFile(rep, bytes.Replace(raw, []byte(`"user-demo-allow"`), []byte(`"`+c.user+`"`), 1), 0o644))
		code, out, errOut := runCLI("eval", "--report", rep, "--rules", rules, "--context", `{"ip":"192.0.2.1"}`)
		if code != 0 || !strings.Contains(out, `"outcome": "`+c.want+`"`) {
			t.Errorf("eval for %s: exit %d, want %s:\n%s%s", c.user, code, c.want, out, errOut)
		}
	}
}
