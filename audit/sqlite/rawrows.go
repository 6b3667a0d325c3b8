package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// rawRows runs a query through the driver's own rows (database/sql's
// Conn.Raw) and calls fn with each row's columns, as the driver hands them
// over: int64, float64, string, []byte (a BLOB, in a buffer of its own that
// fn may keep) or nil for NULL. It skips what Rows.Scan adds per column (a
// conversion, a copy of every BLOB and TEXT, a lock), which is most of
// reading a row for the log's long streaming reads (verify, a counters'
// backfill). dest is reused: fn must not keep it.
func (s *Store) rawRows(ctx context.Context, query string, args []any, columns int, fn func(dest []driver.Value) error) error {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("the sqlite driver's connection (%T) cannot query", dc)
		}
		rows, err := q.QueryContext(ctx, query, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, columns)
		for {
			if err := rows.Next(dest); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if err := fn(dest); err != nil {
				return err
			}
		}
	})
}

// ownBytes is a column read as CAST(… AS BLOB) by rawRows: the driver's
// buffer, fn's to keep; nil for NULL or an empty value.
func ownBytes(v driver.Value) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case string: // not cast: copied
		return []byte(v), nil
	default:
		return nil, fmt.Errorf("%T is not text or a BLOB", v)
	}
}
