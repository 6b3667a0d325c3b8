package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/verdicthq/verdict/engine"
)

// Trace is the record of one decision: everything an auditor needs to say,
// months later, why a session got its verdict, and everything replay needs to
// decide it again.
type Trace struct {
	// ID is the decision id returned to the caller: a UUIDv7, so ids sort by time.
	ID string `json:"id"`
	// DecidedAt is when the decision was made (UTC, microsecond precision once stored).
	DecidedAt time.Time `json:"decided_at"`
	// KeyID names the caller's API key (never the key itself).
	KeyID     string   `json:"key_id,omitempty"`
	SessionID string   `json:"session_id"`
	UserID    string   `json:"user_id,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	// Context is the caller's context object as sent (raw JSON).
	Context json.RawMessage `json:"context,omitempty"`
	// Report is Roundtable's report exactly as received, byte for byte; empty
	// when none was had. Stores keep these bytes untouched. In JSON it appears
	// as "report" when it is valid JSON, else as "report_base64".
	Report []byte `json:"-"`
	// ReportStatus is report.Status of the fetch: "ok", "not_found", "unavailable", ...
	ReportStatus string `json:"report_status"`
	// FetchError is the fetch error's text when ReportStatus is not "ok".
	FetchError string `json:"fetch_error,omitempty"`

	// Policy is the live policy that decided, with its version (content hash).
	Policy engine.PolicyRef `json:"policy"`
	// Outcome is the outcome answered to the caller. In monitor-only mode that
	// is always allow, and WouldBeOutcome holds the policy's own outcome.
	Outcome    engine.Outcome     `json:"outcome"`
	Reason     string             `json:"reason"`
	FiredRules []engine.FiredRule `json:"fired_rules"`
	RuleErrors []engine.RuleError `json:"rule_errors,omitempty"`
	// Score is the total of the fired rules' scores, for a policy with
	// strategy score; nil otherwise.
	Score *int `json:"score,omitempty"`
	// Memory is every list membership and counter value the live policy
	// read (not only those of fired rules), so replay of the same policy
	// is exact.
	Memory *engine.Memory `json:"memory,omitempty"`

	// Shadow is the shadow policy's result; nil when no shadow policy matched.
	Shadow *Shadow `json:"shadow,omitempty"`
	// ShadowError says why a shadow policy that matched was not evaluated
	// (e.g. the caller's context failed its type checks); Shadow is then nil.
	ShadowError string `json:"shadow_error,omitempty"`

	// MonitorOnly is true when the service ran with VERDICT_MONITOR_ONLY.
	MonitorOnly bool `json:"monitor_only,omitempty"`
	// WouldBeOutcome is the policy's outcome when MonitorOnly answered allow instead.
	WouldBeOutcome engine.Outcome `json:"would_be_outcome,omitempty"`

	Timings Timings `json:"timings"`

	// IdempotencyKey is the caller's Idempotency-Key header, if any. Unique per KeyID.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// RequestHash is a hash of the request body, to tell a retry (same body)
	// from a misuse of the key (different body: 409).
	RequestHash string `json:"request_hash,omitempty"`

	// RiskScore is the report's risk_score as the decision read it; nil
	// when it had no report, or when it is not known. Not part of the
	// trace's JSON (the report holds it): the SQLite log keeps it in a
	// column of its own, so backfilling a counter that reads it need not
	// read every stored report.
	RiskScore *int `json:"-"`
	// CheckCodes are the report's documented checks as the decision read
	// them (report.DocumentedCodes); nil like RiskScore, and kept beside it.
	CheckCodes []byte `json:"-"`

	// Answer is the JSON answer the caller got, byte for byte, so an
	// idempotent retry gets exactly the same answer back. Empty for traces
	// not made by the API. With masking on, the masked fields' values in it
	// are masked too (see Mask).
	Answer json.RawMessage `json:"answer,omitempty"`

	// Masked lists the fields masked by keyed HMAC-SHA256 before the trace
	// was stored, and Erased those removed (as OPA's decision logs record
	// them): only fields this trace held. See Mask.
	Masked []string `json:"masked,omitempty"`
	Erased []string `json:"erased,omitempty"`

	// Unreadable is set, instead of every field but ID, DecidedAt and Report,
	// on a stored trace that cannot be decoded any more: why. Reads (get,
	// list pages, export) return such a trace as this entry rather than
	// failing (see DecodeRow).
	Unreadable string `json:"unreadable,omitempty"`
}

// Shadow is what the shadow policy decided: recorded, never answered.
type Shadow struct {
	Policy     engine.PolicyRef   `json:"policy"`
	Outcome    engine.Outcome     `json:"outcome"`
	Reason     string             `json:"reason,omitempty"`
	FiredRules []engine.FiredRule `json:"fired_rules"`
	RuleErrors []engine.RuleError `json:"rule_errors,omitempty"`
	Score      *int               `json:"score,omitempty"`  // under strategy score
	Memory     *engine.Memory     `json:"memory,omitempty"` // what the shadow policy read
}

// Timings are the durations of a decision's steps: the one timings type of
// verdict (the pipeline measures them, the API observes them, the trace
// keeps them). In JSON they are milliseconds with microsecond precision:
// {"fetch_ms": 12.5, "eval_ms": 0.04, "total_ms": 13.1}.
type Timings struct {
	Fetch    time.Duration // the report fetch (cache hits included); 0 when the report was handed in
	Evaluate time.Duration // live and shadow evaluation
	Total    time.Duration // from the request's arrival to the decision
}

// NewID returns a new decision id: a UUIDv7 string, sortable by creation time.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil { // only when the system's random source fails
		return uuid.NewString()
	}
	return id.String()
}

// RequestHash is the RequestHash of a request body: "sha256:" and the hex
// SHA-256 of the bytes. A retry carrying the same Idempotency-Key must hash
// the same; the API decides what bytes it hashes (e.g. the canonical body).
func RequestHash(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// PolicyOutcome is the outcome the live policy reached: WouldBeOutcome in
// monitor-only mode, else Outcome. Replay compares candidates against it.
func (t *Trace) PolicyOutcome() engine.Outcome {
	if t.MonitorOnly && t.WouldBeOutcome != "" {
		return t.WouldBeOutcome
	}
	return t.Outcome
}

// FiredRuleIDs lists the ids of the live policy's fired rules, in order.
func (t *Trace) FiredRuleIDs() []string {
	ids := make([]string, len(t.FiredRules))
	for i, r := range t.FiredRules {
		ids[i] = r.ID
	}
	return ids
}

// Validate checks what a store needs before it accepts a trace.
func (t *Trace) Validate() error {
	switch {
	case t.ID == "":
		return fmt.Errorf("%w: trace has no id", ErrInvalid)
	case len(t.ID) > 64:
		return fmt.Errorf("%w: trace id longer than 64 bytes", ErrInvalid)
	case t.DecidedAt.IsZero():
		return fmt.Errorf("%w: trace %s has no decided_at", ErrInvalid, t.ID)
	case t.Outcome.Severity() < 0:
		return fmt.Errorf("%w: trace %s has outcome %q", ErrInvalid, t.ID, t.Outcome)
	case len(t.Context) > 0 && !json.Valid(t.Context):
		return fmt.Errorf("%w: trace %s context is not valid JSON", ErrInvalid, t.ID)
	case !utf8.Valid(t.Context): // json.Valid lets invalid UTF-8 through; PostgreSQL would refuse the whole batch
		return fmt.Errorf("%w: trace %s context is not valid UTF-8", ErrInvalid, t.ID)
	}
	return nil
}
