package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/syncbuf"
	"github.com/verdicthq/verdict/internal/testwait"
)

// serveForTest runs newApp's server until the test ends and returns its address.
func serveForTest(t *testing.T, cfgEdit func(map[string]string)) (addr, db string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "verdict.db")
	env := map[string]string{
		"VERDICT_DATABASE_URL":     db,
		"VERDICT_LISTEN_ADDR":      "127.0.0.1:0",
		"VERDICT_RULES_DIR":        "../../api/testdata/rules",
		"VERDICT_DEMO_REPORTS_DIR": "../../api/testdata/reports",
		"VERDICT_API_KEYS":         "ops:decide+admin+audit:" + testKey,
		"VERDICT_RELOAD_WATCH":     "false",
	}
	if cfgEdit != nil {
		cfgEdit(env)
	}
	cfg := testConfigFrom(t, env)
	a, err := newApp(cfg, newLogger(cfg.Log, &syncbuf.Buffer{}, false))
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.run(ctx, nil, func(addr string) { addrc <- addr }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return <-addrc, db
}

func call(t *testing.T, method, url, body string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// TestPolicySourceKept: every policy that goes live is kept in the log by
// version; GET /v1/policies/versions/{version} gives its exact bytes, and
// with format=json when and how it went live (start, then an API reload by
// key "ops") and each rule's lines, to which a fired rule of a trace is
// tied; `verdict audit policy` prints the same bytes.
func TestPolicySourceKept(t *testing.T) {
	addr, db := serveForTest(t, nil)
	base := "http://" + addr
	src, err := os.ReadFile("../../api/testdata/rules/checkout.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(src)
	version := hex.EncodeToString(sum[:])
	if code, _, b := call(t, "POST", base+"/v1/policies/reload", ""); code != 200 {
		t.Fatalf("reload: %d %s", code, b)
	}
	code, h, b := call(t, "GET", base+"/v1/policies/versions/"+version, "")
	if code != 200 || !bytes.Equal(b, src) || h.Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET version: %d %s %q", code, h.Get("Content-Type"), b)
	}
	code, _, b = call(t, "GET", base+"/v1/policies/versions/"+version+"?format=json", "")
	var pv struct {
		Source      string `json:"source"`
		Activations []struct {
			Trigger, Mode string
			KeyID         string `json:"key_id"`
		} `json:"activations"`
		Rules map[string]struct {
			First int `json:"first_line"`
			Last  int `json:"last_line"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(b, &pv); code != 200 || err != nil {
		t.Fatalf("GET version as JSON: %d %v %s", code, err, b)
	}
	if pv.Source != string(src) || len(pv.Activations) != 2 || pv.Activations[0].Trigger != "start" ||
		pv.Activations[1].Trigger != "api" || pv.Activations[1].KeyID != "ops" || pv.Activations[1].Mode != "live" {
		t.Fatalf("activations %+v", pv.Activations)
	}
	// A fired rule of a trace, tied to its lines in the kept source.
	code, _, b = call(t, "POST", base+"/v1/decisions", `{"session_id":"t-deny","context":{"amount":10}}`)
	var dec struct {
		Policy     struct{ Version string }
		FiredRules []struct{ ID string } `json:"fired_rules"`
	}
	if err := json.Unmarshal(b, &dec); code != 200 || err != nil || len(dec.FiredRules) == 0 || dec.Policy.Version != version {
		t.Fatalf("decision: %d %s", code, b)
	}
	lines := strings.Split(string(src), "\n")
	for _, fr := range dec.FiredRules {
		span, ok := pv.Rules[fr.ID]
		if !ok || !strings.Contains(lines[span.First-1], "id: "+fr.ID) || span.Last < span.First+2 {
			t.Fatalf("rule %s lines %+v", fr.ID, span)
		}
	}
	shadowSrc, _ := os.ReadFile("../../api/testdata/rules/shadow-checkout.yaml")
	shadowSum := sha256.Sum256(shadowSrc)
	code, _, b = call(t, "GET", base+"/v1/policies/versions/"+hex.EncodeToString(shadowSum[:])+"?format=json", "")
	if code != 200 || !strings.Contains(string(b), `"mode":"shadow"`) {
		t.Fatalf("the shadow policy's source: %d %s", code, b)
	}
	for _, c := range []struct {
		path string
		code int
	}{{strings.Repeat("0", 64), 404}, {"not-a-version", 400}} {
		if code, _, b := call(t, "GET", base+"/v1/policies/versions/"+c.path, ""); code != c.code {
			t.Errorf("GET version %s: %d %s; want %d", c.path, code, b, c.code)
		}
	}
	var out, errb bytes.Buffer
	if code := dispatch([]string{"audit", "policy", version, "--database", db}, &out, &errb); code != 0 || !bytes.Equal(out.Bytes(), src) {
		t.Fatalf("verdict audit policy: exit %d, %q, %s", code, out.Bytes(), errb.String())
	}
	out.Reset()
	if code := dispatch([]string{"audit", "verify", "--database", db}, &out, &errb); code != 0 || !strings.Contains(out.String(), "ok: 1 traces verified") {
		t.Fatalf("verdict audit verify: exit %d, %s %s", code, out.String(), errb.String())
	}
}

// TestAuditVerifyFindsAnEdit: `verdict audit verify` exits 1 naming the
// decision whose row was changed in the file, and 0 on an untouched log.
func TestAuditVerifyFindsAnEdit(t *testing.T) {
	addr, db := serveForTest(t, nil)
	var ids []string
	for _, s := range []string{"t-deny", "t-allow", "t-review"} {
		code, _, b := call(t, "POST", "http://"+addr+"/v1/decisions", `{"session_id":"`+s+`"}`)
		var d struct {
			ID string `json:"decision_id"`
		}
		if err := json.Unmarshal(b, &d); code != 200 || err != nil {
			t.Fatalf("decide: %d %s", code, b)
		}
		ids = append(ids, d.ID)
	}
	sqlExec(t, db, `UPDATE traces SET outcome = 'deny' WHERE id = '`+ids[1]+`'`)
	var out, errb bytes.Buffer
	code := dispatch([]string{"audit", "verify", "--database", db}, &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "BROKEN at decision "+ids[1]) || !strings.Contains(out.String(), "1 traces verified before") {
		t.Fatalf("verify after an edit: exit %d, %s %s", code, out.String(), errb.String())
	}
}

// sqlExec runs one statement on an SQLite log file directly.
func sqlExec(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// TestMaskedServe: with user_id and context.email masked, the caller's
// answer is what it would be unmasked, the SQLite file (and its WAL) holds
// neither clear value, the trace lists what was masked, and a search by the
// clear user_id finds the decision.
func TestMaskedServe(t *testing.T) {
	const email = "buyer.clear@example.org"
	body := `{"session_id":"t-vpn","context":{"amount":600,"email":"` + email + `"}}`
	plainAddr, _ := serveForTest(t, nil)
	addr, db := serveForTest(t, func(env map[string]string) {
		env["VERDICT_MASK_FIELDS"] = "user_id,context.email"
		env["VERDICT_MASK_KEY"] = "a-test-key-of-32-bytes-0123456789"
	})
	_, _, plain := call(t, "POST", "http://"+plainAddr+"/v1/decisions", body)
	code, _, masked := call(t, "POST", "http://"+addr+"/v1/decisions", body)
	strip := func(b []byte) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		delete(m, "decision_id")
		delete(m, "decided_at")
		return m
	}
	if code != 200 || !strings.Contains(string(masked), `"context.amount":600`) {
		t.Fatalf("masked serve answered %d %s", code, masked)
	}
	if a, b := strip(plain), strip(masked); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("masking changed the answer:\n%v\n%v", a, b)
	}
	var d struct {
		ID string `json:"decision_id"`
	}
	_ = json.Unmarshal(masked, &d)
	code, _, page := call(t, "GET", "http://"+addr+"/v1/decisions?user_id=user-t-vpn", "")
	if code != 200 || !strings.Contains(string(page), d.ID) || !strings.Contains(string(page), `"masked":["user_id","context.email"]`) {
		t.Fatalf("search by the clear user_id: %d %s", code, page)
	}
	var all []byte
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(db + suffix)
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatal("no database bytes read")
	}
	for _, clear := range []string{email, "user-t-vpn"} {
		if bytes.Contains(all, []byte(clear)) {
			t.Errorf("%q is in the SQLite file", clear)
		}
	}
}

// TestCheckpointsOffline: checkpoint write signs the heads, export writes
// the file, checkpoint verify checks it without the database, and audit
// verify --checkpoints ties the log to it; a log cut after the checkpoint
// then fails, and a file checked with another key is refused.
func TestCheckpointsOffline(t *testing.T) {
	addr, db := serveForTest(t, nil)
	for range 3 {
		if code, _, b := call(t, "POST", "http://"+addr+"/v1/decisions", `{"session_id":"t-deny"}`); code != 200 {
			t.Fatalf("decide: %d %s", code, b)
		}
	}
	seed := strings.Repeat("07", 32)
	pub := "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
	t.Setenv("VERDICT_CHECKPOINT_KEY", seed)
	run := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := dispatch(args, &out, &errb); code != want {
			t.Fatalf("verdict %s: exit %d, want %d: %s %s", strings.Join(args, " "), code, want, out.String(), errb.String())
		}
		return out.String()
	}
	run(0, "audit", "checkpoint", "write", "--database", db)
	file := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	if err := os.WriteFile(file, []byte(run(0, "audit", "checkpoint", "export", "--database", db)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := run(0, "audit", "checkpoint", "verify", file, "--public-key", pub); !strings.Contains(out, "every signature verifies") {
		t.Fatalf("checkpoint verify: %s", out)
	}
	run(1, "audit", "checkpoint", "verify", file, "--public-key", strings.Repeat("ab", 32))
	if out := run(0, "audit", "verify", "--database", db, "--checkpoints", file, "--public-key", pub); !strings.Contains(out, "1 signed checkpoints matched") {
		t.Fatalf("verify with checkpoints: %s", out)
	}
	sqlExec(t, db, `DELETE FROM traces WHERE seq = (SELECT MAX(seq) FROM traces)`)
	run(0, "audit", "verify", "--database", db) // a cut tail is no gap...
	if out := run(1, "audit", "verify", "--database", db, "--checkpoints", file, "--public-key", pub); !strings.Contains(out, "removed from its end") {
		t.Fatalf("verify of a cut log against the checkpoint: %s", out) // ...but the checkpoint shows it
	}
	run(2, "audit", "verify", "--database", db, "--checkpoints", file)
}

// TestServeWritesSignedCheckpoints: with a checkpoint key and a short
// checkpoint_every, serve signs the chain's head periodically, and logs the
// public key at start.
func TestServeWritesSignedCheckpoints(t *testing.T) {
	addr, db := serveForTest(t, func(env map[string]string) {
		env["VERDICT_CHECKPOINT_KEY"] = strings.Repeat("07", 32)
		env["VERDICT_CHECKPOINT_EVERY"] = "20ms"
	})
	if code, _, b := call(t, "POST", "http://"+addr+"/v1/decisions", `{"session_id":"t-deny"}`); code != 200 {
		t.Fatalf("decide: %d %s", code, b)
	}
	pub, _ := audit.ParsePublicKey("ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c")
	s, err := audit.Open(context.Background(), db, audit.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	testwait.Until(t, "a periodic signed checkpoint", func() bool {
		cps, err := s.(audit.CheckpointLog).Checkpoints(context.Background())
		return err == nil && len(cps) > 0 && cps[0].Reason == "periodic" && cps[0].VerifySignature(pub) == nil
	})
}
