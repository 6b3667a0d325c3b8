package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"

	"github.com/verdicthq/verdict/audit"
)

// chainQuery reads a trace's columns in the order chainScan takes them.
const chainQuery = `SELECT seq, id, decided_at, session_id, user_id, outcome, policy_name,
	policy_version, key_id, idempotency_key, report_status, policy_outcome, tags, context, fired, body,
	report, prev_hash, hash, risk_score, CAST(checks AS BLOB) FROM traces`

// chainScan streams the rows of chainQuery+where in seq order. It reads
// through the driver's own rows (database/sql's Conn.Raw), not Rows.Scan:
// the driver hands each column over in a buffer of its own, so nothing is
// converted or copied a second time, and database/sql's per-column
// conversion and locking are skipped. The row and its slices are valid
// only until fn returns.
func (s *Store) chainScan(ctx context.Context, where string, args []any, fn func(*audit.ChainRow) error) error {
	var rd chainRowReader
	err := s.rawRows(ctx, chainQuery+where+` ORDER BY seq`, args, 21, func(dest []driver.Value) error {
		if err := rd.fill(dest); err != nil {
			return err
		}
		return fn(&rd.row)
	})
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	return nil
}

// chainRowReader turns a driver row of chainQuery into an audit.ChainRow,
// reusing its buffers for the columns the driver hands over as strings.
type chainRowReader struct {
	row   audit.ChainRow
	idem  string
	score int64
	bufs  [7][]byte // tags, context, fired, body, report, prev_hash, hash when not BLOBs
}

// fill sets rd.row from one driver row, as database/sql's Scan into the
// same Go types would: integers into int64, any value into a string, and
// NULL (only) into a nil slice.
func (rd *chainRowReader) fill(d []driver.Value) error {
	r := &rd.row
	var err error
	if r.Seq, err = asInt(d[0]); err != nil {
		return fmt.Errorf("read trace: seq: %w", err)
	}
	if r.DecidedAt, err = asInt(d[2]); err != nil {
		return fmt.Errorf("read trace at seq %d: decided_at: %w", r.Seq, err)
	}
	for _, c := range [...]struct {
		to  *string
		col int
	}{{&r.ID, 1}, {&r.SessionID, 3}, {&r.UserID, 4}, {&r.Outcome, 5}, {&r.PolicyName, 6},
		{&r.PolicyVersion, 7}, {&r.KeyID, 8}, {&r.ReportStatus, 10}, {&r.PolicyOutcome, 11}} {
		if *c.to, err = asString(d[c.col]); err != nil {
			return fmt.Errorf("read trace at seq %d: column %d: %w", r.Seq, c.col, err)
		}
	}
	r.IdempotencyKey = nil
	if d[9] != nil {
		if rd.idem, err = asString(d[9]); err != nil {
			return fmt.Errorf("read trace at seq %d: idempotency_key: %w", r.Seq, err)
		}
		r.IdempotencyKey = &rd.idem
	}
	for i, to := range [...]*[]byte{&r.Tags, &r.Context, &r.Fired, &r.Body, &r.Report, &r.Prev, &r.Hash} {
		*to, rd.bufs[i] = asBytes(d[12+i], rd.bufs[i])
	}
	r.RiskScore = nil
	if d[19] != nil {
		if rd.score, err = asInt(d[19]); err != nil {
			return fmt.Errorf("read trace at seq %d: risk_score: %w", r.Seq, err)
		}
		r.RiskScore = &rd.score
	}
	if r.Checks, err = ownBytes(d[20]); err != nil {
		return fmt.Errorf("read trace at seq %d: checks: %w", r.Seq, err)
	}
	// NOT NULL columns: hashed as empty, as a Scan into sql.RawBytes gave them.
	for _, b := range [...]*[]byte{&r.Tags, &r.Fired, &r.Body, &r.Report} {
		if *b == nil {
			*b = []byte{}
		}
	}
	return nil
}

func asInt(v driver.Value) (int64, error) {
	switch v := v.(type) {
	case int64:
		return v, nil
	case string:
		return strconv.ParseInt(v, 10, 64)
	case []byte:
		return strconv.ParseInt(string(v), 10, 64)
	default:
		return 0, fmt.Errorf("%T is not an integer", v)
	}
}

func asString(v driver.Value) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case nil:
		return "", errors.New("NULL in a text column")
	default:
		return "", fmt.Errorf("unexpected %T", v)
	}
}

// asBytes returns v as bytes: a BLOB's own buffer as the driver made it, a
// TEXT (or number) copied into buf, nil for NULL and an empty non-nil slice
// for an empty value. It returns the buffer to keep for the next row.
func asBytes(v driver.Value, buf []byte) ([]byte, []byte) {
	switch v := v.(type) {
	case nil:
		return nil, buf
	case []byte:
		if v == nil {
			return []byte{}, buf // the driver's empty BLOB: not NULL
		}
		return v, buf
	case string:
		buf = append(buf[:0], v...)
	case int64:
		buf = strconv.AppendInt(buf[:0], v, 10)
	case float64:
		buf = strconv.AppendFloat(buf[:0], v, 'g', -1, 64)
	default:
		buf = fmt.Appendf(buf[:0], "%v", v)
	}
	if buf == nil {
		buf = []byte{}
	}
	return buf, buf
}
