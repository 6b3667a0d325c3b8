package console_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// hostileCase is one case of testdata/hostile/console/cases.yaml.
type hostileCase struct {
	Note      string   `yaml:"note"`
	SessionID string   `yaml:"session_id"`
	Report    string   `yaml:"report"`
	Context   string   `yaml:"context"`
	Draft     string   `yaml:"draft"`
	NoteText  string   `yaml:"note_text"` // resolve the decision's review with this note
	Pages     []string `yaml:"pages"`
	Absent    []string `yaml:"absent"`
	Present   []string `yaml:"present"`
}

func TestHostilePages(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/hostile/console/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []hostileCase
	if err := yaml.Unmarshal(raw, &cases); err != nil {
		t.Fatalf("cases.yaml: %v", err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	h := newHarness(t)
	b := h.browser()
	b.mustSignIn(keyAdmin)
	for _, tc := range cases {
		t.Run(tc.Note, func(t *testing.T) {
			var id string
			if tc.Report != "" {
				h.sim.SetReport(tc.SessionID, []byte(tc.Report))
			}
			if tc.SessionID != "" {
				id = h.decide(tc.SessionID, tc.Context)
			}
			if tc.NoteText != "" {
				tok := b.get("/console/reviews/" + id).csrf(t)
				if r := b.post("/console/reviews/"+id+"/resolve", url.Values{"csrf": {tok}, "outcome": {"deny"}, "note": {tc.NoteText}}); r.status != http.StatusSeeOther {
					t.Fatalf("resolve with the note: %d", r.status)
				}
			}
			for _, pg := range tc.Pages {
				var p page
				switch pg {
				case "decision":
					p = b.get("/console/decisions/" + id)
				case "decisions":
					p = b.get("/console/decisions")
				case "decisions_by_user":
					p = b.get("/console/decisions?user_id=" + url.QueryEscape("javascript:alert(1)"))
				case "review":
					p = b.get("/console/reviews/" + id)
				case "draft":
					tok := b.get("/console/drafts").csrf(t)
					p = b.post("/console/drafts/validate", url.Values{"csrf": {tok}, "draft": {tc.Draft}})
				default:
					t.Fatalf("unknown page %q", pg)
				}
				if p.status >= 500 || p.status == http.StatusNotFound {
					t.Fatalf("%s: status %d", pg, p.status)
				}
				if os.Getenv("CONSOLE_DUMP") != "" {
					t.Log(p.body)
				}
				for _, a := range tc.Absent {
					if strings.Contains(p.body, a) {
						t.Errorf("%s: the page holds %q unescaped", pg, a)
					}
				}
				for _, secret := range []string{keyAdmin, keyAuditor, keyAnalyst, keyOther, keyDecide, simKey} {
					if strings.Contains(p.body, secret) {
						t.Errorf("%s: the page holds a secret", pg)
					}
				}
				if pg == "decision" || pg == "draft" || pg == "review" {
					for _, w := range tc.Present {
						if !strings.Contains(p.body, w) {
							t.Errorf("%s: the page lacks the escaped %q", pg, w)
						}
					}
				}
			}
		})
	}
}
