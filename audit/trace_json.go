package audit

import (
	"encoding/json"
	"fmt"
	"time"
)

// traceFields is Trace without its methods, so the JSON methods below can
// reuse the struct tags without recursing.
type traceFields Trace

// traceJSON is a Trace's JSON shape: the report inline when it is JSON, in
// base64 when the bytes received were not JSON at all.
type traceJSON struct {
	traceFields
	Report       json.RawMessage `json:"report,omitempty"`
	ReportBase64 []byte          `json:"report_base64,omitempty"`
}

// MarshalJSON writes the trace with the report inline when it is valid JSON
// (encoding/json compacts it; the stored bytes stay untouched) and as
// "report_base64" otherwise, so no byte received is ever lost.
// An unreadable trace (see DecodeRow) is written as its entry only: id,
// decided_at, unreadable and the report.
func (t Trace) MarshalJSON() ([]byte, error) {
	var report json.RawMessage
	var report64 []byte
	if len(t.Report) > 0 {
		if json.Valid(t.Report) {
			report = t.Report
		} else {
			report64 = t.Report
		}
	}
	if t.Unreadable != "" {
		return json.Marshal(unreadableJSON{ID: t.ID, DecidedAt: t.DecidedAt, Unreadable: t.Unreadable, Report: report, ReportBase64: report64})
	}
	return json.Marshal(traceJSON{traceFields: traceFields(t), Report: report, ReportBase64: report64})
}

// unreadableJSON is the JSON shape of an unreadable trace.
type unreadableJSON struct {
	ID           string          `json:"id"`
	DecidedAt    time.Time       `json:"decided_at"`
	Unreadable   string          `json:"unreadable"`
	Report       json.RawMessage `json:"report,omitempty"`
	ReportBase64 []byte          `json:"report_base64,omitempty"`
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Trace) UnmarshalJSON(data []byte) error {
	var w traceJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("decode trace: %w", err)
	}
	*t = Trace(w.traceFields)
	switch {
	case len(w.Report) > 0 && string(w.Report) != "null":
		t.Report = []byte(w.Report)
	case len(w.ReportBase64) > 0:
		t.Report = w.ReportBase64
	}
	return nil
}
