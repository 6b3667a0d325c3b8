package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
)

var _ audit.ListStore = (*Store)(nil)

// listLock serializes list writes per schema, so change sequence numbers are
// taken and committed in one order and a reader polling "seq > last seen"
// never skips a change that commits late.
const listLock = `SELECT pg_advisory_xact_lock(hashtext('verdict.audit.lists.' || current_schema()))`

// putItemSQL upserts one item and records its change in one statement: the
// CTE "prev" sees the table as it was before the statement.
const putItemSQL = `WITH prev AS (
		SELECT added_at FROM list_items WHERE list = $1 AND value = $2 AND (expires_at IS NULL OR expires_at > $5)
	), up AS (
		INSERT INTO list_items (list, value, comment, expires_at, added_at, updated_at, key_id)
		VALUES ($1, $2, $3, $4, COALESCE((SELECT added_at FROM prev), $5), $5, $6)
		ON CONFLICT (list, value) DO UPDATE SET comment = EXCLUDED.comment, expires_at = EXCLUDED.expires_at,
			added_at = EXCLUDED.added_at, updated_at = EXCLUDED.updated_at, key_id = EXCLUDED.key_id
	)
	INSERT INTO list_changes (list, value, action, comment, expires_at, key_id, at)
	SELECT $1, $2, CASE WHEN EXISTS (SELECT 1 FROM prev) THEN 'update' ELSE 'add' END, $3, $4, $6, $5
	RETURNING action, COALESCE((SELECT added_at FROM prev), $5)`

// putBatch is how many item statements go to the server in one round trip.
const putBatch = 1000

// PutListItems adds or updates items of one list in one transaction; see
// audit.ListStore.
func (s *Store) PutListItems(ctx context.Context, list string, items []audit.ListItem) (int, error) {
	if s.readOnly {
		return 0, audit.ErrReadOnly
	}
	if err := audit.PrepareListItems(list, items, time.Now()); err != nil {
		return 0, err
	}
	added := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, listLock); err != nil {
			return fmt.Errorf("lock lists: %w", err)
		}
		for start := 0; start < len(items); start += putBatch {
			chunk := items[start:min(start+putBatch, len(items))]
			b := &pgx.Batch{}
			for _, it := range chunk {
				b.Queue(putItemSQL, list, pgText(it.Value), pgText(it.Comment), expiresArg(it.ExpiresAt), it.UpdatedAt, it.KeyID)
			}
			br := tx.SendBatch(ctx, b)
			for i := range chunk {
				var action string
				if err := br.QueryRow().Scan(&action, &chunk[i].AddedAt); err != nil {
					br.Close()
					return fmt.Errorf("put list item %.40q: %w", chunk[i].Value, err)
				}
				chunk[i].AddedAt = chunk[i].AddedAt.UTC()
				if action == audit.ListAdd {
					added++
				}
			}
			if err := br.Close(); err != nil {
				return fmt.Errorf("put list items: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("put list items: %w", err)
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
	at = at.UTC().Truncate(time.Microsecond)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, listLock); err != nil {
			return fmt.Errorf("lock lists: %w", err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM list_items WHERE list = $1 AND value = $2 AND (expires_at IS NULL OR expires_at > $3)`, list, value, at)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return audit.ErrNotFound
		}
		_, err = tx.Exec(ctx, `INSERT INTO list_changes (list, value, action, comment, expires_at, key_id, at) VALUES ($1, $2, $3, $4, NULL, $5, $6)`,
			list, value, audit.ListRemove, pgText(by.Comment), by.KeyID, at)
		return err
	})
	switch {
	case errors.Is(err, audit.ErrNotFound):
		return err
	case err != nil:
		return fmt.Errorf("delete list item: %w", err)
	}
	return nil
}

// ListItems calls fn for the items present at q.At; see audit.ListStore.
func (s *Store) ListItems(ctx context.Context, q audit.ListQuery, fn func(audit.ListItem) error) error {
	at := q.At
	if at.IsZero() {
		at = time.Now()
	}
	stmt := `SELECT list, value, comment, expires_at, added_at, updated_at, key_id FROM list_items WHERE (expires_at IS NULL OR expires_at > $1)`
	args := []any{at}
	if q.Lean {
		return s.leanItems(ctx, q.List, at, fn)
	}
	if q.List != "" {
		stmt += ` AND list = $2 AND value > $3`
		args = append(args, q.List, q.After)
	}
	stmt += ` ORDER BY list, value`
	if q.Limit > 0 {
		stmt += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	rows, err := s.pool.Query(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("read list items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it audit.ListItem
		var exp *time.Time
		if err := rows.Scan(&it.List, &it.Value, &it.Comment, &exp, &it.AddedAt, &it.UpdatedAt, &it.KeyID); err != nil {
			return fmt.Errorf("read list items: %w", err)
		}
		if exp != nil {
			it.ExpiresAt = exp.UTC()
		}
		it.AddedAt, it.UpdatedAt = it.AddedAt.UTC(), it.UpdatedAt.UTC()
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
	rows, err := s.pool.Query(ctx, `SELECT seq, list, value, action, comment, expires_at, key_id, at
		FROM list_changes WHERE seq > $1 ORDER BY seq`, afterSeq)
	if err != nil {
		return fmt.Errorf("read list changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c audit.ListChange
		var exp *time.Time
		if err := rows.Scan(&c.Seq, &c.List, &c.Value, &c.Action, &c.Comment, &exp, &c.KeyID, &c.At); err != nil {
			return fmt.Errorf("read list changes: %w", err)
		}
		if exp != nil {
			c.ExpiresAt = exp.UTC()
		}
		c.At = c.At.UTC()
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
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM list_changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read list change sequence: %w", err)
	}
	return seq, nil
}

// ListSizes returns how many items each list holds (audit.ListStore).
func (s *Store) ListSizes(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT list, count(*) FROM list_items GROUP BY list`)
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
	return t
}

// leanItems is ListItems with ListQuery.Lean: three columns, no sort.
func (s *Store) leanItems(ctx context.Context, list string, at time.Time, fn func(audit.ListItem) error) error {
	stmt, args := `SELECT list, value, expires_at FROM list_items WHERE (expires_at IS NULL OR expires_at > $1)`, []any{at}
	if list != "" {
		stmt, args = stmt+` AND list = $2`, append(args, list)
	}
	rows, err := s.pool.Query(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("read list items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it audit.ListItem
		var exp *time.Time
		if err := rows.Scan(&it.List, &it.Value, &exp); err != nil {
			return fmt.Errorf("read list items: %w", err)
		}
		if exp != nil {
			it.ExpiresAt = exp.UTC()
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read list items: %w", err)
	}
	return nil
}
