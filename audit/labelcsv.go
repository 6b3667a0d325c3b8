package audit

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// LabelCSVRow is one label read from a CSV file, with its line.
type LabelCSVRow struct {
	Line  int
	Label Label
	Err   error // the row's own error; Label is then unusable
}

// LabelCSV reads labels from a chargeback export: a header row naming the
// columns (case and spaces ignored, in any order): one of decision_id,
// session_id, user_id; label (fraud or legitimate; fraud when absent);
// reason (chargeback when absent); occurred_at (RFC 3339 or a date).
// Other columns are ignored. It streams rows to fn; an error of the file
// itself (no header, no id column, not CSV) ends it.
func LabelCSV(r io.Reader, by string, fn func(LabelCSVRow) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: the file is empty: it needs a header row", ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("%w: header: %v", ErrInvalid, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	targets := 0
	for _, k := range []string{"decision_id", "session_id", "user_id"} {
		if _, ok := col[k]; ok {
			targets++
		}
	}
	if targets == 0 {
		return fmt.Errorf("%w: the header names none of decision_id, session_id, user_id", ErrInvalid)
	}
	field := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil { // FieldPos may only be asked after a good record
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("%w: line %d: %v", ErrInvalid, pe.StartLine, pe.Err)
			}
			return fmt.Errorf("read: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && rec[0] == "" {
			continue // a blank line
		}
		row := LabelCSVRow{Line: line, Label: Label{Label: strings.ToLower(field(rec, "label")), Reason: field(rec, "reason"), By: by}}
		if row.Label.Label == "" {
			row.Label.Label = LabelFraud
		}
		if row.Label.Reason == "" {
			row.Label.Reason = "chargeback"
		}
		n := 0
		for _, t := range []struct{ col, target string }{{"decision_id", TargetDecision}, {"session_id", TargetSession}, {"user_id", TargetUser}} {
			if v := field(rec, t.col); v != "" {
				row.Label.Target, row.Label.Value = t.target, v
				n++
			}
		}
		if n != 1 {
			row.Err = fmt.Errorf("%w: a row names exactly one of decision_id, session_id, user_id (this one %d)", ErrInvalid, n)
		}
		if at := field(rec, "occurred_at"); at != "" && row.Err == nil {
			row.Label.OccurredAt, row.Err = parseCSVTime(at)
		}
		if row.Err == nil && !utf8.ValidString(strings.Join(rec, "")) {
			row.Err = fmt.Errorf("%w: the row is not UTF-8", ErrInvalid)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

func parseCSVTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: occurred_at %q is not an RFC 3339 time or a date", ErrInvalid, truncate(s, 40))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	b := []byte(s[:n])
	return string(bytes.ToValidUTF8(b, nil)) + "…"
}
