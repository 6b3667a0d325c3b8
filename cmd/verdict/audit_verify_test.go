package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

// TestAuditVerifyRanges: `verdict audit verify` over an SQLite log of 12
// traces (trace i decided i seconds after audittest.Base, seq i+1) with one
// edited or one deleted: the first break and exit 1 when the window holds
// it, how many it verified and exit 0 when it does not.
func TestAuditVerifyRanges(t *testing.T) {
	at := func(i int) string { return audittest.Base.Add(time.Duration(i) * time.Second).Format(time.RFC3339) }
	cases := []struct {
		name string
		edit string // SQL run on the file, if any
		args []string
		code int
		brk  int // index of the trace named in the break (with code 1)
		want string
	}{
		{name: "untouched", args: nil, code: 0, want: "ok: 12 traces verified in 1 chain(s)"},
		{name: "edited: whole log", edit: "UPDATE traces SET user_id = 'x' WHERE seq = 7",
			code: 1, brk: 6, want: "6 traces verified before the break"},
		{name: "edited: window before it", edit: "UPDATE traces SET user_id = 'x' WHERE seq = 7",
			args: []string{"--until", at(5)}, code: 0, want: "ok: 5 traces verified"},
		{name: "edited: window after it", edit: "UPDATE traces SET user_id = 'x' WHERE seq = 7",
			args: []string{"--since", at(7)}, code: 0, want: "ok: 5 traces verified"},
		{name: "edited: window around it", edit: "UPDATE traces SET user_id = 'x' WHERE seq = 7",
			args: []string{"--since", at(3), "--until", at(9)}, code: 1, brk: 6, want: `user_id is "x"`},
		{name: "deleted: whole log", edit: "DELETE FROM traces WHERE seq = 10",
			code: 1, brk: 10, want: "seq 10 to 10 are missing"},
		{name: "deleted: first trace", edit: "DELETE FROM traces WHERE seq = 1",
			code: 1, brk: 1, want: "first 1 traces are missing"},
		{name: "bad --since", args: []string{"--since", "yesterday-ish"}, code: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "verdict.db")
			s := audittest.MustOpen(t, path, audit.Options{})
			var ids []string
			for i := range 12 {
				tr := audittest.SampleTrace(i)
				audittest.MustAppend(t, s, tr)
				ids = append(ids, tr.ID)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if c.edit != "" {
				sqlExec(t, path, c.edit)
			}
			var out, errb bytes.Buffer
			code := dispatch(append([]string{"audit", "verify", "--database", path}, c.args...), &out, &errb)
			if code != c.code || !strings.Contains(out.String(), c.want) {
				t.Fatalf("exit %d, %q %q; want exit %d and %q", code, out.String(), errb.String(), c.code, c.want)
			}
			if c.code == 1 && !strings.HasPrefix(out.String(), "BROKEN at decision "+ids[c.brk]+" ") {
				t.Fatalf("%q: want the break at trace %d (%s)", out.String(), c.brk, ids[c.brk])
			}
		})
	}
}
