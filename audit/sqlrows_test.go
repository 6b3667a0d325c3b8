package audit

import (
	"reflect"
	"testing"
	"time"
)

func TestWhere(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	micros := func(t time.Time) any { return t.UnixMicro() }
	same := func(t time.Time) any { return t }
	tests := []struct {
		name     string
		w        *Where
		build    func(w *Where)
		wantSQL  string
		wantArgs []any
	}{
		{"empty", &Where{Placeholder: DollarN, Time: same}, func(*Where) {}, "", nil},
		{"dollar range", &Where{Placeholder: DollarN, Time: same},
			func(w *Where) { w.TimeRange("c", at, at.Add(time.Hour)) },
			" WHERE c >= $1 AND c < $2", []any{at, at.Add(time.Hour)}},
		{"question until only", &Where{Placeholder: QuestionMark, Time: micros},
			func(w *Where) { w.TimeRange("c", time.Time{}, at) },
			" WHERE c < ?", []any{at.UnixMicro()}},
		{"two placeholders in one condition", &Where{Placeholder: DollarN, Time: same},
			func(w *Where) { w.Add("a = ?", "x"); w.Add("(b, c) < (?, ?)", 1, 2) },
			" WHERE a = $1 AND (b, c) < ($2, $3)", []any{"x", 1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.build(tc.w)
			if got := tc.w.SQL(); got != tc.wantSQL {
				t.Errorf("SQL() = %q, want %q", got, tc.wantSQL)
			}
			if got := tc.w.Args(); !reflect.DeepEqual(got, tc.wantArgs) {
				t.Errorf("Args() = %v, want %v", got, tc.wantArgs)
			}
		})
	}
}

func TestPageQueryRuleAndCursor(t *testing.T) {
	w := &Where{Placeholder: DollarN, Time: func(t time.Time) any { return t }}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	q := PageQuery(Filter{Rule: "r1", Limit: 10}, &Cursor{DecidedAt: at, ID: "id1"}, "t.body, t.report", w)
	want := `SELECT t.body, t.report FROM trace_rules r JOIN traces t ON t.id = r.trace_id` +
		` WHERE r.rule_id = $1 AND (r.decided_at, r.trace_id) < ($2, $3) ORDER BY r.decided_at DESC, r.trace_id DESC LIMIT $4`
	if q != want {
		t.Errorf("PageQuery =\n%s\nwant\n%s", q, want)
	}
	if got := w.Args(); !reflect.DeepEqual(got, []any{"r1", at, "id1", 11}) {
		t.Errorf("args = %v", got)
	}
}
