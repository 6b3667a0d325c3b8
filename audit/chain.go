package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// HashSize is the size of a chain hash (SHA-256).
const HashSize = sha256.Size

// ChainRow is one stored trace as the hash chain covers it: every column of
// the trace's row, exactly as stored, with its place in a chain.
//
// A trace's hash is SHA-256 over a domain tag, the previous trace's hash in
// the same chain (Prev; 32 zero bytes for a chain's first trace) and every
// column, each length-prefixed (see Hash). Changing any column, or removing
// a trace, breaks the chain at that trace.
type ChainRow struct {
	Chain string // the chain's name: "" for SQLite's one chain, a writer's for PostgreSQL
	Seq   int64  // position in the chain, from 1

	ID             string
	DecidedAt      int64 // Unix microseconds
	SessionID      string
	UserID         string
	Outcome        string
	PolicyName     string
	PolicyVersion  string
	KeyID          string
	IdempotencyKey *string
	ReportStatus   string
	PolicyOutcome  string
	Tags           []byte
	Context        []byte // nil when stored as NULL
	Fired          []byte
	Body           []byte
	Report         []byte
	// RiskScore and Checks are SQLite's risk_score and checks columns
	// (copies of the report's, for counters); nil when NULL, and always for
	// PostgreSQL, which has neither. A trace without them hashes as before
	// the columns existed.
	RiskScore *int64
	Checks    []byte

	Prev []byte // the previous trace's hash, as stored; nil for a trace from before the chain
	Hash []byte // this trace's hash, as stored; nil for a trace from before the chain
}

// chainTag starts every hashed trace, so the hash of a trace can never be
// taken for the hash of anything else.
const chainTag = "verdict.trace.v2\x00"

// ChainHasher computes chain hashes, reusing its buffers: one per goroutine.
type ChainHasher struct {
	h   hash.Hash
	buf []byte
	sum []byte
}

// NewChainHasher returns a ChainHasher.
func NewChainHasher() *ChainHasher { return &ChainHasher{h: sha256.New()} }

// Hash returns the hash of r chained to prev (r.Prev and r.Hash are not
// read). The result is valid until the next call.
func (c *ChainHasher) Hash(prev []byte, r *ChainRow) []byte {
	c.h.Reset()
	b := append(c.buf[:0], chainTag...)
	b = append(b, prev...)
	b = appendField(b, []byte(r.Chain))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Seq))
	b = appendField(b, []byte(r.ID))
	b = binary.BigEndian.AppendUint64(b, uint64(r.DecidedAt))
	for _, s := range [...]string{r.SessionID, r.UserID, r.Outcome, r.PolicyName, r.PolicyVersion, r.KeyID} {
		b = appendField(b, []byte(s))
	}
	b = appendOptional(b, r.IdempotencyKey != nil, optString(r.IdempotencyKey))
	b = appendField(b, []byte(r.ReportStatus))
	b = appendField(b, []byte(r.PolicyOutcome))
	b = appendField(b, r.Tags)
	b = appendOptional(b, r.Context != nil, r.Context)
	b = appendField(b, r.Fired)
	c.h.Write(b)
	// The body and the report are the bulk: written straight, after their lengths.
	c.h.Write(binary.BigEndian.AppendUint64(b[:0], uint64(len(r.Body))))
	c.h.Write(r.Body)
	c.h.Write(binary.BigEndian.AppendUint64(b[:0], uint64(len(r.Report))))
	c.h.Write(r.Report)
	if r.RiskScore != nil {
		c.h.Write(binary.BigEndian.AppendUint64(append(b[:0], 'S'), uint64(*r.RiskScore)))
	}
	if r.Checks != nil {
		c.h.Write(appendField(append(b[:0], 'C'), r.Checks))
	}
	c.buf = b[:0]
	c.sum = c.h.Sum(c.sum[:0])
	return c.sum
}

func appendField(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(v)))
	return append(b, v...)
}

func appendOptional(b []byte, present bool, v []byte) []byte {
	if !present {
		return append(b, 0)
	}
	return appendField(append(b, 1), v)
}

func optString(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

// ZeroHash is the Prev of a chain's first trace.
var ZeroHash = make([]byte, HashSize)

// ChainRowOf is the ChainRow of an encoded row as a backend stores it; text
// maps each text column's value to what the backend stores (PostgreSQL
// cannot store NUL), nil for none.
func ChainRowOf(r *Row, text func(string) string) ChainRow {
	if text == nil {
		text = func(s string) string { return s }
	}
	t := r.Trace
	var idem *string
	if t.IdempotencyKey != "" {
		idem = &t.IdempotencyKey
	}
	report := r.Report
	if report == nil {
		report = []byte{}
	}
	return ChainRow{
		ID: t.ID, DecidedAt: t.DecidedAt.UnixMicro(),
		SessionID: text(t.SessionID), UserID: text(t.UserID), Outcome: string(t.Outcome),
		PolicyName: text(t.Policy.Name), PolicyVersion: t.Policy.Version, KeyID: text(t.KeyID),
		IdempotencyKey: idem, ReportStatus: t.ReportStatus, PolicyOutcome: r.PolicyOutcome,
		Tags: r.Tags, Context: r.Context, Fired: r.FiredRules, Body: r.Body, Report: report,
	}
}
