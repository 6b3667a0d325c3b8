package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/audit"
)

var _ audit.ListStore = (*Store)(nil)

// presentAt is the SQL condition of an item present at a time (?: micros).
const presentAt = `(expires_at IS NULL OR expires_at > ?)`

// PutListItems adds or updates items of one list in one transaction; see
// audit.ListStore.
func (s *Store) PutListItems(ctx context.Context, list string, items []audit.ListItem) (int, error) {
	if s.readOnly {
		return 0, audit.ErrReadOnly
	}
	if err := audit.PrepareListItems(list, items, time.Now()); err != nil {
		return 0, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("put list items: begin: %w", err)
	}
	defer tx.Rollback()
	find, err := tx.PrepareContext(ctx, `SELECT added_at FROM list_items WHERE list = ? AND value = ? AND `+presentAt)
	if err != nil {
		return 0, fmt.Errorf("put list items: %w", err)
	}
	upsert, err := tx.PrepareContext(ctx, `INSERT INTO list_items (list, value, comment, expires_at, added_at, updated_at, key_id)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (list, value) DO UPDATE SET comment = excluded.comment,
		expires_at = excluded.expires_at, added_at = excluded.added_at, updated_at = excluded.updated_at, key_id = excluded.key_id`)
	if err != nil {
		return 0, fmt.Errorf("put list items: %w", err)
	}
	change, err := tx.PrepareContext(ctx, `INSERT INTO list_changes (list, value, action, comment, expires_at, key_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, fmt.Errorf("put list items: %w", err)
	}
	added := 0
	for i := range items {
		it := &items[i]
		at := it.UpdatedAt.UnixMicro()
		action := audit.ListUpdate
		var addedAt int64
		switch err := find.QueryRowContext(ctx, list, it.Value, at).Scan(&addedAt); {
		case errors.Is(err, sql.ErrNoRows):
			action, addedAt = audit.ListAdd, at
			added++
		case err != nil:
			return 0, fmt.Errorf("put list item %.40q: %w", it.Value, err)
		}
		it.AddedAt = time.UnixMicro(addedAt).UTC()
		exp := expiresArg(it.ExpiresAt)
		if _, err := upsert.ExecContext(ctx, list, it.Value, it.Comment, exp, addedAt, at, it.KeyID); err != nil {
			return 0, fmt.Errorf("put list item %.40q: %w", it.Value, err)
		}
		if _, err := change.ExecContext(ctx, list, it.Value, action, it.Comment, exp, it.KeyID, at); err != nil {
			return 0, fmt.Errorf("record change of list item %.40q: %w", it.Value, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("put list items: commit: %w", err)
	}
	return added, nil
}

// DeleteListItem removes a present item and records the change.
func (s *Store) DeleteListItem(ctx context.Context, list, value string, by audit.ListChange) error {
	if s.readOnly {
		return audit.ErrReadOnly
	}
	at := by.At
	if at.IsZero() {
		at = time.Now()
	}
	micros := at.UTC().Truncate(time.Microsecond).UnixMicro()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete list item: begin: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM list_items WHERE list = ? AND value = ? AND `+presentAt, list, value, micros)
	if err != nil {
		return fmt.Errorf("delete list item: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return audit.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO list_changes (list, value, action, comment, expires_at, key_id, at) VALUES (?, ?, ?, ?, NULL, ?, ?)`,
		list, value, audit.ListRemove, by.Comment, by.KeyID, micros); err != nil {
		return fmt.Errorf("record removal of list item: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete list item: commit: %w", err)
	}
	return nil
}

// ListItems calls fn for the items present at q.At; see audit.ListStore.
func (s *Store) ListItems(ctx context.Context, q audit.ListQuery, fn func(audit.ListItem) error) error {
	at := q.At
	if at.IsZero() {
		at = time.Now()
	}
	if q.Lean {
		return s.leanItems(ctx, q.List, at, fn)
	}
	stmt := `SELECT list, value, comment, expires_at, added_at, updated_at, key_id FROM list_items WHERE ` + presentAt
	args := []any{at.UnixMicro()}
	if q.List != "" {
		stmt += ` AND list = ? AND value > ?`
		args = append(args, q.List, q.After)
	}
	stmt += ` ORDER BY list, value`
	if q.Limit > 0 {
		stmt += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("read list items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it audit.ListItem
		var exp sql.NullInt64
		var added, updated int64
		if err := rows.Scan(&it.List, &it.Value, &it.Comment, &exp, &added, &updated, &it.KeyID); err != nil {
			return fmt.Errorf("read list items: %w", err)
		}
		it.ExpiresAt, it.AddedAt, it.UpdatedAt = fromMicros(exp), time.UnixMicro(added).UTC(), time.UnixMicro(updated).UTC()
		if err := fn(it); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read list items: %w", err)
	}
	return nil
}

// ListChanges calls fn for every change after afterSeq, in order.
func (s *Store) ListChanges(ctx context.Context, afterSeq int64, fn func(audit.ListChange) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, list, value, action, comment, expires_at, key_id, at
		FROM list_changes WHERE seq > ? ORDER BY seq`, afterSeq)
	if err != nil {
		return fmt.Errorf("read list changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c audit.ListChange
		var exp sql.NullInt64
		var at int64
		if err := rows.Scan(&c.Seq, &c.List, &c.Value, &c.Action, &c.Comment, &exp, &c.KeyID, &at); err != nil {
			return fmt.Errorf("read list changes: %w", err)
		}
		c.ExpiresAt, c.At = fromMicros(exp), time.UnixMicro(at).UTC()
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read list changes: %w", err)
	}
	return nil
}

// ListSeq returns the highest change sequence number, 0 when none.
func (s *Store) ListSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM list_changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read list change sequence: %w", err)
	}
	return seq, nil
}

// ListSizes returns how many items each list holds (audit.ListStore).
func (s *Store) ListSizes(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT list, count(*) FROM list_items GROUP BY list`)
	if err != nil {
		return nil, fmt.Errorf("count list items: %w", err)
	}
	defer rows.Close()
	sizes := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("count list items: %w", err)
		}
		sizes[name] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count list items: %w", err)
	}
	return sizes, nil
}

func expiresArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// leanItems is ListItems with ListQuery.Lean: three columns, no sort.
func (s *Store) leanItems(ctx context.Context, list string, at time.Time, fn func(audit.ListItem) error) error {
	stmt, args := `SELECT list, value, expires_at FROM list_items`, []any{}
	if list != "" {
		stmt, args = stmt+` WHERE list = ?`, append(args, list)
	}
	rows, err := s.r.QueryContext(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("read list items: %w", err)
	}
	defer rows.Close()
	micros := at.UnixMicro()
	var name sql.RawBytes
	last := ""
	for rows.Next() {
		var it audit.ListItem
		var exp sql.NullInt64
		if err := rows.Scan(&name, &it.Value, &exp); err != nil {
			return fmt.Errorf("read list items: %w", err)
		}
		if string(name) != last { // one string per list, not per item
			last = string(name)
		}
		it.List = last
		if exp.Valid && exp.Int64 <= micros {
			continue
		}
		it.ExpiresAt = fromMicros(exp)
		if err := fn(it); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read list items: %w", err)
	}
	return nil
}
