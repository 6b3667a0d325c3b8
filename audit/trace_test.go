package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/internal/audittest"
)

func TestTraceJSONReport(t *testing.T) {
	cases := []struct {
		name      string
		report    []byte
		wantKey   string // the JSON key that carries the report
		wantInner string // the value as it appears
	}{
		{"JSON report inline", []byte(`{"session_id": "s1",  "risk_score": 5}`), `"report":`, `{"session_id":"s1","risk_score":5}`},
		{"not JSON kept as base64", []byte("<html>\xff"), `"report_base64":`, `"PGh0bWw+/w=="`},
		{"no report", nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := audittest.SampleTrace(1)
			tr.Report = c.report
			b, err := json.Marshal(tr)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if c.wantKey == "" {
				if bytes.Contains(b, []byte(`"report":`)) || bytes.Contains(b, []byte(`"report_base64":`)) {
					t.Fatalf("report key in %s", b)
				}
			} else if !bytes.Contains(b, []byte(c.wantKey+c.wantInner)) {
				t.Fatalf("%s does not contain %s%s", b, c.wantKey, c.wantInner)
			}
			var back audit.Trace
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if c.wantKey == `"report_base64":` && !bytes.Equal(back.Report, c.report) {
				t.Fatalf("report bytes %q after round trip, want %q", back.Report, c.report)
			}
			if back.ID != tr.ID || back.Outcome != tr.Outcome || len(back.FiredRules) != len(tr.FiredRules) {
				t.Fatalf("round trip changed the trace: %+v", back)
			}
		})
	}
}

func TestNewIDIsTimeSortableUUIDv7(t *testing.T) {
	prev := audit.NewID()
	for range 1000 {
		id := audit.NewID()
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Fatalf("id %q: version %d, %v", id, u.Version(), err)
		}
		if strings.Compare(id, prev) <= 0 {
			t.Fatalf("id %s not after %s", id, prev)
		}
		prev = id
	}
}

func TestEncodeRowFillsAndValidates(t *testing.T) {
	tr := audittest.SampleTrace(0)
	tr.ID, tr.DecidedAt = "", time.Time{}
	now := time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	row, err := audit.EncodeRow(tr, now)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if tr.ID == "" || !tr.DecidedAt.Equal(now.Truncate(time.Microsecond)) || tr.DecidedAt.Location() != time.UTC {
		t.Fatalf("id %q, decided_at %v", tr.ID, tr.DecidedAt)
	}
	if bytes.Contains(row.Body, []byte(`"report":`)) || bytes.Contains(row.Body, []byte(`"report_base64":`)) {
		t.Fatalf("body carries the report: %s", row.Body)
	}
	if want := audittest.SampleFires(0); strings.Join(row.Rules, ",") != strings.Join(want, ",") {
		t.Fatalf("rules %v, want %v", row.Rules, want)
	}
	back, err := audit.DecodeRow(row.Body, row.Report)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	audittest.AssertSame(t, back, tr)

	tr.Outcome = "block"
	if _, err := audit.EncodeRow(tr, now); !errors.Is(err, audit.ErrInvalid) {
		t.Fatalf("encode with a bad outcome: %v, want ErrInvalid", err)
	}
}

func TestRequestHash(t *testing.T) {
	a, b := audit.RequestHash([]byte(`{"session_id":"s1"}`)), audit.RequestHash([]byte(`{"session_id":"s2"}`))
	if a == b || !strings.HasPrefix(a, "sha256:") || len(a) != len("sha256:")+64 {
		t.Fatalf("hashes %q and %q", a, b)
	}
	if a != audit.RequestHash([]byte(`{"session_id":"s1"}`)) {
		t.Fatal("same body, different hash")
	}
}
