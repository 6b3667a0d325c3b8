package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/verdicthq/verdict/audit"
)

// pruneChunk bounds how many rows one prune statement deletes.
const pruneChunk = 5000

// BatchStats returns how many batches the store committed and the traces
// they held (zeros when read-only): traces/commits is the mean batch size.
func (s *Store) BatchStats() (commits, traces int64) {
	if s.batch == nil {
		return 0, 0
	}
	return s.batch.Stats()
}

// Append stores a trace durably; see audit.Store.
func (s *Store) Append(ctx context.Context, t *audit.Trace) error {
	if s.readOnly {
		return audit.ErrReadOnly
	}
	return s.batch.Append(ctx, t)
}

// chainHead is the head of one writer's chain: its name, last seq and hash.
type chainHead struct {
	name string
	seq  int64
	hash []byte
	h    *audit.ChainHasher
}

// commit writes one batch in one transaction of one statement (exec)
// (audit.CommitFunc), chained onto the head of a chain no other writer holds.
func (s *Store) commit(ctx context.Context, rows []*audit.Row, errs []error) error {
	// once a day; its failure fails no trace (they go to the default
	// partition), so the error is not the batch's
	_ = s.ensurePartitions(ctx, time.Now())
	head := <-s.heads
	defer func() { s.heads <- head }()
	live := make([]int, len(rows)) // indexes into rows still to write
	for i := range live {
		live[i] = i
	}
	for len(live) > 0 {
		refused, seq, hash, err := s.insert(ctx, head, rows, live)
		if err != nil {
			return err
		}
		if len(refused) == 0 {
			head.seq, head.hash = seq, hash
			return nil
		}
		next := live[:0]
		for _, i := range live {
			if refused[i] {
				errs[i] = audit.ConflictError(rows[i].Trace)
			} else {
				next = append(next, i)
			}
		}
		live = next
	}
	return nil
}

// insert writes rows[live] after head; it returns the rows refused (then
// nothing is written) or the new head's seq and hash.
func (s *Store) insert(ctx context.Context, head *chainHead, rows []*audit.Row, live []int) (map[int]bool, int64, []byte, error) {
	n := len(live)
	args, seq, prev, err := batchArgs(head, rows, live)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("insert %d traces: %w", n, err)
	}
	got, err := s.exec(ctx, args)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("insert %d traces: %w", n, err)
	}
	if got == nil {
		return nil, seq, prev, nil
	}
	stored := make(map[string]bool, len(got))
	for _, v := range got {
		stored[v] = true
	}
	// An id stored once in this batch belongs to its first row only.
	refused := map[int]bool{}
	seen := make(map[string]bool, n)
	for _, i := range live {
		id := rows[i].Trace.ID
		if !stored[id] || seen[id] {
			refused[i] = true
		}
		seen[id] = true
	}
	return refused, 0, nil, nil
}

// exec runs batchSQL in a transaction of two round trips: BEGIN and the
// statement pipelined, then COMMIT once every row was stored. When some
// were refused it rolls back and returns the ids stored (nil: all were,
// and the commit is durable: synchronous_commit is on).
func (s *Store) exec(ctx context.Context, args []any) ([]string, error) {
	n := len(args[0].([]string))
	conn, got, err := s.send(ctx, args)
	if err != nil {
		return nil, err
	}
	defer conn.Release() // a connection left inside a transaction is closed, not reused
	if len(got) != n {
		if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
			return nil, fmt.Errorf("roll back: %w", err)
		}
		if got == nil {
			got = []string{}
		}
		return got, nil
	}
	tag, err := conn.Exec(ctx, "COMMIT")
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	if tag.String() != "COMMIT" { // "ROLLBACK": the transaction had failed
		return nil, fmt.Errorf("commit: the server rolled the transaction back")
	}
	return nil, nil
}

// send begins a transaction and runs batchSQL in it, in one round trip, on
// another connection when the one the pool handed out is dead — the server
// restarted, failed over or cut it (the pool pings only connections idle
// for a second, so the busy ones find out on their next statement): nothing
// was committed, so sending again is safe, and the batch is not failed for
// a connection that was already gone. It tries at most once per pooled
// connection, and one more. On success the connection is inside the
// transaction, for the caller to end and release.
func (s *Store) send(ctx context.Context, args []any) (*pgxpool.Conn, []string, error) {
	var err error
	for range s.pool.Config().MaxConns + 1 {
		var conn *pgxpool.Conn
		if conn, err = s.pool.Acquire(ctx); err != nil {
			return nil, nil, fmt.Errorf("acquire a connection: %w", err)
		}
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue(batchSQL, args...)
		br := conn.SendBatch(ctx, b)
		if _, err = br.Exec(); err != nil {
			_ = br.Close()
			conn.Release()
			if !deadConn(err) || ctx.Err() != nil {
				return nil, nil, fmt.Errorf("begin: %w", err)
			}
			continue
		}
		res, qerr := br.Query()
		var got []string
		if qerr == nil {
			got, qerr = pgx.CollectRows(res, pgx.RowTo[string])
		}
		if cerr := br.Close(); qerr == nil {
			qerr = cerr
		}
		if qerr != nil {
			conn.Release() // inside a failed transaction: the pool closes it
			return nil, nil, qerr
		}
		return conn, got, nil
	}
	return nil, nil, fmt.Errorf("begin: %w", err)
}

// deadConn reports whether err says the connection, not the request, failed
// before the transaction began: the server ended the session (SQLSTATE
// class 57: administrator or crash shutdown) or the connection broke before
// anything was sent.
func deadConn(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return pgconn.SafeToRetry(err)
}

// Prune deletes the traces decided before a time: of each chain, the
// prefix up to its first trace decided at or after it (traces from before
// the chain, by time), a chunk per statement. For each chain it first
// stores a retention checkpoint of the last trace it removes (signed with
// Options.CheckpointKey when set), so the chain stays verifiable.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	if s.readOnly {
		return 0, audit.ErrReadOnly
	}
	rows, err := s.pool.Query(ctx, `SELECT chain, COALESCE(MIN(seq) FILTER (WHERE decided_at >= $1), MAX(seq) + 1) AS keep,
		count(*) FILTER (WHERE decided_at < $1)
		FROM traces WHERE chain IS NOT NULL GROUP BY chain`, before)
	if err != nil {
		return 0, fmt.Errorf("prune: find the first traces kept: %w", err)
	}
	type cut struct {
		chain string
		keep  int64
	}
	var cuts []cut
	for rows.Next() {
		var c cut
		var old int64
		if err := rows.Scan(&c.chain, &c.keep, &old); err != nil {
			rows.Close()
			return 0, fmt.Errorf("prune: %w", err)
		}
		if old > 0 {
			cuts = append(cuts, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	var total int64
	rulesBefore := before
	for _, c := range cuts {
		var removed int64
		var hash []byte
		if err := s.pool.QueryRow(ctx, `SELECT count(*), (SELECT hash FROM traces WHERE chain = $1 AND seq = $2 - 1)
			FROM traces WHERE chain = $1 AND seq < $2`, c.chain, c.keep).Scan(&removed, &hash); err != nil {
			return total, fmt.Errorf("prune chain %s: %w", c.chain, err)
		}
		if removed == 0 {
			continue
		}
		if hash == nil {
			return total, fmt.Errorf("prune chain %s: the last trace to remove (seq %d) is missing: run verdict audit verify", c.chain, c.keep-1)
		}
		cp := audit.Checkpoint{Chain: c.chain, Seq: c.keep - 1, Hash: hex.EncodeToString(hash), At: time.Now(), Reason: "retention", Removed: removed}
		cp.Sign(s.key)
		if err := s.AddCheckpoint(ctx, cp); err != nil {
			return total, fmt.Errorf("prune: %w", err)
		}
		// Its fired-rule rows go by time below: those decided before the
		// oldest trace the chain keeps (found among the next traces of the
		// chain, by the (chain, seq) index).
		var oldest *time.Time
		if err := s.pool.QueryRow(ctx, `SELECT MIN(decided_at) FROM traces WHERE chain = $1 AND seq BETWEEN $2 AND $2 + 10000`,
			c.chain, c.keep).Scan(&oldest); err != nil {
			return total, fmt.Errorf("prune chain %s: %w", c.chain, err)
		}
		if oldest != nil && oldest.Before(rulesBefore) {
			rulesBefore = *oldest
		}
	}
	// Every checkpoint is stored: whole days go first, by dropping their
	// partitions (partition.go), then what is left of each chain's prefix,
	// by row.
	chains, keeps := make([]string, len(cuts)), make([]int64, len(cuts))
	for i, c := range cuts {
		chains[i], keeps[i] = c.chain, c.keep
	}
	dropped, err := s.dropPartitions(ctx, before, chains, keeps)
	total += dropped
	if err != nil {
		return total, fmt.Errorf("prune: %w", err)
	}
	for _, c := range cuts {
		// (tableoid, ctid): a row's place, unique across partitions
		n, err := s.deleteChunks(ctx, `DELETE FROM traces WHERE (tableoid, ctid) IN
			(SELECT tableoid, ctid FROM traces WHERE chain = $1 AND seq < $2 LIMIT $3)`, c.chain, c.keep)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune traces: %w", err)
		}
	}
	// The fired-rule rows of what was removed, by time (trace_rules_time); a
	// removed trace decided after the oldest kept leaves rule rows matching
	// no trace (the rule filter joins traces) until a later prune.
	if _, err := s.deleteChunks(ctx, `DELETE FROM trace_rules WHERE (tableoid, ctid) IN
		(SELECT tableoid, ctid FROM trace_rules WHERE decided_at < $1 LIMIT $2)`, rulesBefore); err != nil {
		return total, fmt.Errorf("prune fired rules: %w", err)
	}
	// traces from before the chain (schema 1), by time
	n, err := s.deleteChunks(ctx, `DELETE FROM traces WHERE (tableoid, ctid) IN
		(SELECT tableoid, ctid FROM traces WHERE chain IS NULL AND decided_at < $1 LIMIT $2)`, before)
	total += n
	if err != nil {
		return total, fmt.Errorf("prune traces: %w", err)
	}
	// the idempotency keys of traces no longer stored
	if _, err := s.deleteChunks(ctx, `DELETE FROM idempotency_keys WHERE (key_id, idempotency_key) IN
		(SELECT k.key_id, k.idempotency_key FROM idempotency_keys k WHERE k.decided_at < $1
			AND NOT EXISTS (SELECT FROM traces t WHERE t.id = k.id AND t.id_time = k.id_time) LIMIT $2)`, before); err != nil {
		return total, fmt.Errorf("prune idempotency keys: %w", err)
	}
	return total, nil
}

// deleteChunks runs a DELETE whose last parameter is the chunk size until
// it deletes fewer rows than that.
func (s *Store) deleteChunks(ctx context.Context, stmt string, args ...any) (int64, error) {
	args = append(args, pruneChunk)
	return audit.DeleteInChunks(pruneChunk, func() (int64, error) {
		tag, err := s.pool.Exec(ctx, stmt, args...)
		return tag.RowsAffected(), err
	})
}

// pgText makes a string storable in a text column: PostgreSQL refuses the
// NUL character (and with it the whole batch), which a report's user_id may
// hold. NUL becomes U+FFFD in the column, which serves search only; the
// trace's body (JSON, where NUL is escaped) keeps the value exactly.
func pgText(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}
