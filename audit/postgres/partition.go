package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/verdicthq/verdict/audit"
)

// partitionMigration makes traces and trace_rules range-partitioned by
// day, so retention drops whole days (Prune) instead of deleting rows: at
// 10,000 decisions/s deleting a day takes hours of a backend
// (docs/bench-audit.md). The partition key is id_time, the time in the
// trace's id (verdict's ids are UUIDv7: their first 48 bits are the
// decision's Unix milliseconds; any other id gets -infinity): a unique
// index on a partitioned table must hold the partition key, and since
// id_time is a function of the id, (id, id_time) is unique exactly when
// id is — no guarantee is weakened for the id. It upgrades a log in place:
// the existing tables become each parent's first partition (*_legacy,
// everything before the day after the upgrade; their rows get id_time
// -infinity, a constant default, so no row is rewritten or copied), later
// days get partitions of their own (ensurePartitions), and a default
// partition takes an id from a clock far ahead.
//
// (key_id, idempotency_key) cannot stay unique on the partitioned table
// (it lacks id_time), so idempotency_keys, not partitioned, promises one
// decision per key across replicas, written in each batch's statement
// before the traces (batchSQL); (chain, seq) becomes (chain, seq,
// id_time), and verify still finds a place in a chain held twice or
// missing. trace_partitions lists the day partitions retention may drop.
var partitionMigration = audit.Migration{Version: 7, Stmts: []string{
	`CREATE TABLE idempotency_keys (
		key_id          text NOT NULL,
		idempotency_key text NOT NULL,
		id              text COLLATE "C" NOT NULL,
		id_time         timestamptz NOT NULL,
		decided_at      timestamptz NOT NULL,
		PRIMARY KEY (key_id, idempotency_key)
	)`,
	`INSERT INTO idempotency_keys (key_id, idempotency_key, id, id_time, decided_at)
		SELECT key_id, idempotency_key, id, '-infinity', decided_at FROM traces WHERE idempotency_key IS NOT NULL
		ON CONFLICT DO NOTHING`,
	`CREATE INDEX idempotency_keys_time ON idempotency_keys (decided_at)`,
	`CREATE TABLE trace_partitions (
		traces_name text PRIMARY KEY,
		rules_name  text NOT NULL,
		until       timestamptz NOT NULL
	)`,
	// The old tables, and their indexes (index names are per schema), step
	// aside; the primary key on id alone gives way to (id, id_time).
	`ALTER TABLE traces DROP CONSTRAINT traces_pkey`,
	`ALTER TABLE traces ADD COLUMN id_time timestamptz NOT NULL DEFAULT '-infinity'`,
	`ALTER TABLE traces RENAME TO traces_legacy`,
	`ALTER INDEX traces_time RENAME TO traces_legacy_time`,
	`ALTER INDEX traces_session RENAME TO traces_legacy_session`,
	`ALTER INDEX traces_user RENAME TO traces_legacy_user`,
	`ALTER INDEX traces_outcome RENAME TO traces_legacy_outcome`,
	`ALTER INDEX traces_policy_version RENAME TO traces_legacy_policy_version`,
	`ALTER INDEX traces_idempotency RENAME TO traces_legacy_idempotency`,
	`ALTER INDEX traces_chain RENAME TO traces_legacy_chain`,
	`ALTER TABLE trace_rules DROP CONSTRAINT trace_rules_pkey`,
	`ALTER TABLE trace_rules ADD COLUMN id_time timestamptz NOT NULL DEFAULT '-infinity'`,
	`ALTER TABLE trace_rules RENAME TO trace_rules_legacy`,
	`ALTER INDEX trace_rules_time RENAME TO trace_rules_legacy_time`,
	`CREATE TABLE traces (LIKE traces_legacy) PARTITION BY RANGE (id_time)`,
	`ALTER TABLE traces ALTER COLUMN id_time DROP DEFAULT`,
	`ALTER TABLE traces ADD PRIMARY KEY (id, id_time)`,
	`CREATE INDEX traces_time ON traces (decided_at, id)`,
	`CREATE INDEX traces_session ON traces (session_id, decided_at, id)`,
	`CREATE INDEX traces_user ON traces (user_id, decided_at, id)`,
	`CREATE INDEX traces_outcome ON traces (outcome, decided_at, id)`,
	`CREATE INDEX traces_policy_version ON traces (policy_version, decided_at, id)`,
	`CREATE UNIQUE INDEX traces_chain ON traces (chain, seq, id_time)`,
	`CREATE TABLE trace_rules (LIKE trace_rules_legacy) PARTITION BY RANGE (id_time)`,
	`ALTER TABLE trace_rules ALTER COLUMN id_time DROP DEFAULT`,
	`ALTER TABLE trace_rules ADD PRIMARY KEY (rule_id, decided_at, trace_id, id_time)`,
	`CREATE INDEX trace_rules_time ON trace_rules (decided_at)`,
	// The old tables become the first partitions: every id_time before the
	// day after today (UTC). The bound is a constant, so it is written by
	// EXECUTE; attaching checks the rows once and builds the new keys on
	// them (no copy).
	`DO $$
	DECLARE
		until timestamptz := (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC';
	BEGIN
		EXECUTE format('ALTER TABLE traces ATTACH PARTITION traces_legacy FOR VALUES FROM (MINVALUE) TO (%L)', until);
		EXECUTE format('ALTER TABLE trace_rules ATTACH PARTITION trace_rules_legacy FOR VALUES FROM (MINVALUE) TO (%L)', until);
		INSERT INTO trace_partitions (traces_name, rules_name, until) VALUES ('traces_legacy', 'trace_rules_legacy', until);
	END
	$$`,
	// superseded: by idempotency_keys, and by the partitioned (chain, seq, id_time)
	`DROP INDEX traces_legacy_idempotency, traces_legacy_chain`,
	// schema 6's lz4, on the parent, for the partitions to come
	`DO $$
	BEGIN
		EXECUTE 'ALTER TABLE traces ALTER COLUMN body SET COMPRESSION lz4,
			ALTER COLUMN report SET COMPRESSION lz4, ALTER COLUMN context SET COMPRESSION lz4,
			ALTER COLUMN fired SET COMPRESSION lz4, ALTER COLUMN tags SET COMPRESSION lz4';
	EXCEPTION WHEN feature_not_supported OR syntax_error THEN
		RAISE NOTICE 'lz4 compression is not available: traces stay compressed with pglz';
	END
	$$`,
	`CREATE TABLE traces_default PARTITION OF traces DEFAULT`,
	`CREATE TABLE trace_rules_default PARTITION OF trace_rules DEFAULT`,
}}

// idTime is the partition key of the trace id: the Unix milliseconds of a
// UUIDv7 (audit.NewID), or -infinity for any other id.
func idTime(id string) pgtype.Timestamptz {
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 || len(id) != 36 {
		return pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	}
	var ms int64
	for _, b := range u[:6] {
		ms = ms<<8 | int64(b)
	}
	return pgtype.Timestamptz{Time: time.UnixMilli(ms).UTC(), Valid: true}
}

// partitionsAhead is how many days past today ensurePartitions keeps
// partitions for.
const partitionsAhead = 3

// partitionRetryAfter is how long ensurePartitions waits after a failure
// before trying again.
const partitionRetryAfter = time.Minute

// partitionLock names the advisory lock under which partitions are created
// and dropped, per schema, so replicas doing it at once do it once.
const partitionLock = `SELECT pg_advisory_xact_lock(hashtext('verdict.audit.partitions.' || current_schema()))`

// ensurePartitions creates the day partitions of traces and trace_rules
// from the end of the last one through partitionsAhead days after now, if
// missing, and records them in trace_partitions. A day whose traces
// already went to the default partition (a clock that ran ahead) is
// skipped: its traces stay there, and retention deletes them by row. Its
// failure (a role without CREATE on the schema) fails no write: traces go
// to the default partition until it succeeds; it is tried again a minute
// later.
func (s *Store) ensurePartitions(ctx context.Context, now time.Time) error {
	horizon := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, partitionsAhead+1)
	if until := s.partitionedUntil.Load(); until != nil && !until.Before(horizon) {
		return nil
	}
	if now.UnixNano() < s.partitionRetry.Load() {
		return nil // failed a moment ago: not again on every commit
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, partitionLock); err != nil {
			return err
		}
		var last time.Time
		if err := tx.QueryRow(ctx, `SELECT MAX(until) FROM trace_partitions`).Scan(&last); err != nil {
			return err
		}
		for day := last.UTC(); day.Before(horizon); day = day.AddDate(0, 0, 1) {
			next := day.AddDate(0, 0, 1)
			var taken bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM traces_default WHERE id_time >= $1 AND id_time < $2)
				OR EXISTS (SELECT FROM trace_rules_default WHERE id_time >= $1 AND id_time < $2)`, day, next).Scan(&taken); err != nil {
				return err
			}
			if taken {
				continue
			}
			t, r := "traces_p"+day.Format("20060102"), "trace_rules_p"+day.Format("20060102")
			bounds := fmt.Sprintf(`FOR VALUES FROM ('%s') TO ('%s')`, day.Format(time.RFC3339), next.Format(time.RFC3339))
			for _, stmt := range []string{
				`CREATE TABLE ` + t + ` PARTITION OF traces ` + bounds,
				`CREATE TABLE ` + r + ` PARTITION OF trace_rules ` + bounds,
			} {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO trace_partitions (traces_name, rules_name, until) VALUES ($1, $2, $3)`, t, r, next); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.partitionRetry.Store(now.Add(partitionRetryAfter).UnixNano())
		return fmt.Errorf("create the decision log's day partitions: %w", err)
	}
	s.partitionedUntil.Store(&horizon)
	return nil
}

// dropPartitions drops the day partitions (traces and their fired rules)
// that end at or before before and hold no trace decided since then nor one
// a chain keeps (chains[i]
// keeps seq keeps[i] on: traces commit in about, not exactly, time order,
// so a trace just before a day's end may follow, in its chain, one kept);
// it returns how many traces they held. The caller stored the chains'
// retention checkpoints first.
func (s *Store) dropPartitions(ctx context.Context, before time.Time, chains []string, keeps []int64) (int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT traces_name, rules_name FROM trace_partitions WHERE until <= $1 ORDER BY until`, before)
	if err != nil {
		return 0, fmt.Errorf("list partitions: %w", err)
	}
	type part struct{ traces, rules string }
	parts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (part, error) {
		var p part
		return p, r.Scan(&p.traces, &p.rules)
	})
	if err != nil {
		return 0, fmt.Errorf("list partitions: %w", err)
	}
	var total int64
	for _, p := range parts {
		var n int64
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, partitionLock); err != nil {
				return err
			}
			var kept bool
			// Names come from trace_partitions, which only verdict writes.
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM `+pgx.Identifier{p.traces}.Sanitize()+` t
				JOIN unnest($1::text[], $2::int8[]) AS c(chain, keep) ON t.chain = c.chain AND t.seq >= c.keep)
				OR EXISTS (SELECT FROM `+pgx.Identifier{p.traces}.Sanitize()+` WHERE decided_at >= $3),
				(SELECT count(*) FROM `+pgx.Identifier{p.traces}.Sanitize()+`)`, chains, keeps, before).Scan(&kept, &n); err != nil {
				return err
			}
			if kept {
				n = 0
				return nil // a later prune drops it, once the chains moved past
			}
			if _, err := tx.Exec(ctx, `DROP TABLE `+pgx.Identifier{p.traces}.Sanitize()+`, `+pgx.Identifier{p.rules}.Sanitize()); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `DELETE FROM trace_partitions WHERE traces_name = $1`, p.traces)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("drop partition %s: %w", p.traces, err)
		}
		total += n
	}
	return total, nil
}
