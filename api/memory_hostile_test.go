package api_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/verdicthq/verdict/internal/audittest"
)

// TestHostileListWrites runs testdata/hostile/memory/list_writes.json: each
// hostile list write gets its status and code, and only the cases marked
// writes change the list's history.
func TestHostileListWrites(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "hostile", "memory", "list_writes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []struct {
			Name, Method, Path, Raw, Code string
			Body                          map[string]string
			Status                        int
			Writes                        bool
		}
	}
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus.Cases) < 20 {
		t.Fatalf("%d cases", len(corpus.Cases))
	}
	h, svc, _ := newListHarness(t)
	for _, c := range corpus.Cases {
		t.Run(c.Name, func(t *testing.T) {
			body := c.Raw
			if c.Body != nil {
				fields := map[string]string{}
				for k, v := range c.Body {
					if spec, ok := strings.CutPrefix(v, "REPEAT:"); ok { // REPEAT:x:1025
						ch, n, _ := strings.Cut(spec, ":")
						count, _ := strconv.Atoi(n)
						v = strings.Repeat(ch, count)
					}
					fields[k] = v
				}
				b, _ := json.Marshal(fields)
				body = string(b)
			}
			before := len(audittest.ListHistory(t, svc.Store, 0))
			r := req{method: c.Method, path: c.Path, key: keyAnalyst, body: body}
			if body != "" {
				r.ctype = "application/json"
			}
			res := h.do(r)
			if res.status != c.Status {
				t.Fatalf("status %d, want %d: %s", res.status, c.Status, res.body)
			}
			if c.Code != "" {
				if got := res.errorCode(t); got != c.Code {
					t.Errorf("code %q, want %q", got, c.Code)
				}
			}
			after := len(audittest.ListHistory(t, svc.Store, 0))
			if c.Writes != (after > before) {
				t.Errorf("history %d -> %d changes (writes %v)", before, after, c.Writes)
			}
		})
	}
}
