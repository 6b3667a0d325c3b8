package audit

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/report"
)

// Row is a trace encoded for storage: the columns every backend writes. The
// body is the trace's JSON without the report, which is kept apart as the
// exact bytes received.
type Row struct {
	Trace  *Trace
	Body   []byte   // JSON of the trace, report left out
	Rules  []string // distinct ids of the live fired rules, for the rule filter
	Report []byte   // the report bytes, untouched

	// Columns kept beside the body for replay (see ReplayRow).
	Tags          []byte // JSON array
	Context       []byte // JSON object, or nil
	FiredRules    []byte // JSON array of the live fired rule ids, in order
	PolicyOutcome string
	// RiskScore and CheckCodes are the stored report's risk_score and
	// documented checks (Trace.RiskScore, Trace.CheckCodes), for columns
	// beside it (SQLite); nil when not known, or when masking may have
	// changed the report (a field of it is masked, not only context
	// fields): a reader of the columns then decodes the report.
	RiskScore  *int
	CheckCodes []byte
}

// EncodeRow prepares a trace for storage: it fills and checks the trace as
// Append documents (now is the time for a zero DecidedAt) and encodes it.
func EncodeRow(t *Trace, now time.Time) (*Row, error) {
	return EncodeMaskedRow(t, now, nil)
}

// EncodeMaskedRow is EncodeRow with m's fields masked (Mask.Apply) in what
// is encoded: t gets its id and time filled, never its fields masked.
func EncodeMaskedRow(t *Trace, now time.Time, m *Mask) (*Row, error) {
	if err := prepare(t, now); err != nil {
		return nil, err
	}
	t = m.Apply(t)
	body := *t
	body.Report = nil
	b, err := json.Marshal(traceJSON{traceFields: traceFields(body)}) // MarshalJSON without the report, minus encoding/json re-checking its output
	if err != nil {
		return nil, fmt.Errorf("encode trace %s: %w", t.ID, err)
	}
	seen := make(map[string]bool, len(t.FiredRules))
	rules := make([]string, 0, len(t.FiredRules))
	for _, r := range t.FiredRules {
		if !seen[r.ID] {
			seen[r.ID] = true
			rules = append(rules, r.ID)
		}
	}
	tags := t.Tags
	if tags == nil {
		tags = []string{}
	}
	tagsJSON, err := json.Marshal(tags)
	if err != nil {
		return nil, fmt.Errorf("encode trace %s tags: %w", t.ID, err)
	}
	firedJSON, err := json.Marshal(t.FiredRuleIDs())
	if err != nil {
		return nil, fmt.Errorf("encode trace %s fired rules: %w", t.ID, err)
	}
	var ctx []byte
	if len(t.Context) > 0 && string(t.Context) != "null" {
		ctx = t.Context
	}
	var score *int
	var codes []byte
	if t.RiskScore != nil && len(t.CheckCodes) == report.NumDocumentedChecks && len(t.Report) > 0 &&
		t.ReportStatus == report.StatusOK && m.ContextOnly() {
		score, codes = t.RiskScore, t.CheckCodes
	}
	return &Row{Trace: t, Body: b, Rules: rules, Report: t.Report, Tags: tagsJSON, Context: ctx,
		FiredRules: firedJSON, PolicyOutcome: string(t.PolicyOutcome()), RiskScore: score, CheckCodes: codes}, nil
}

// DecodeRow rebuilds a trace from a stored body and report. A body that
// cannot be decoded (nested too deep for the decoder, damaged) is not an
// error: the trace comes back with Unreadable saying why, its ID and
// DecidedAt as far as they can be read from the body, and the report as
// stored, so that one such trace never fails a list page or an export.
func DecodeRow(body, report []byte) (*Trace, error) {
	var t Trace
	if err := json.Unmarshal(body, &t); err != nil {
		t = unreadableTrace(body, fmt.Errorf("decode stored trace: %w", err))
	}
	if len(report) > 0 {
		t.Report = append([]byte(nil), report...)
	}
	t.DecidedAt = t.DecidedAt.UTC()
	return &t, nil
}
