package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/verdicthq/verdict/audit"
)

// migrations are the schema versions, applied in order, each once. Never edit
// a released one: add a new version. Ids compare bytewise (COLLATE "C") so
// keyset pagination orders them as Go does.
var migrations = []audit.Migration{
	{Version: 1, Stmts: []string{
		// body is the trace's JSON without the report (type json keeps the
		// text as written); report is the report's bytes as received.
		// report_status, policy_outcome, tags, context and fired (the live
		// fired rule ids) repeat what replay reads, so it need not decode bodies.
		`CREATE TABLE traces (
			id              text COLLATE "C" PRIMARY KEY,
			decided_at      timestamptz NOT NULL,
			session_id      text NOT NULL,
			user_id         text NOT NULL,
			outcome         text NOT NULL,
			policy_name     text NOT NULL,
			policy_version  text NOT NULL,
			key_id          text NOT NULL,
			idempotency_key text,
			report_status   text NOT NULL,
			policy_outcome  text NOT NULL,
			tags            json NOT NULL,
			context         json,
			fired           json NOT NULL,
			body            json NOT NULL,
			report          bytea NOT NULL
		)`,
		`CREATE INDEX traces_time ON traces (decided_at, id)`,
		`CREATE INDEX traces_session ON traces (session_id, decided_at, id)`,
		`CREATE INDEX traces_user ON traces (user_id, decided_at, id)`,
		`CREATE INDEX traces_outcome ON traces (outcome, decided_at, id)`,
		`CREATE INDEX traces_policy_version ON traces (policy_version, decided_at, id)`,
		`CREATE UNIQUE INDEX traces_idempotency ON traces (key_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
		// trace_rules lists the live policy's fired rule ids per trace, for
		// the rule filter, in the same (decided_at, id) order as traces.
		`CREATE TABLE trace_rules (
			rule_id    text NOT NULL,
			decided_at timestamptz NOT NULL,
			trace_id   text COLLATE "C" NOT NULL,
			PRIMARY KEY (rule_id, decided_at, trace_id)
		)`,
		`CREATE INDEX trace_rules_time ON trace_rules (decided_at)`,
	}},
	{Version: 2, Stmts: migration2},
	loopMigration, // reviews and labels: loop.go
	// Lists (issue "Rules with memory"): list_items holds what each list has
	// now, list_changes every change ever made; list writes hold an advisory
	// lock (listLock), so seq order is commit order. expires_at NULL never
	// expires.
	{Version: 4, Stmts: []string{
		`CREATE TABLE IF NOT EXISTS list_items (
			list       text COLLATE "C" NOT NULL,
			value      text COLLATE "C" NOT NULL,
			comment    text NOT NULL,
			expires_at timestamptz,
			added_at   timestamptz NOT NULL,
			updated_at timestamptz NOT NULL,
			key_id     text NOT NULL,
			PRIMARY KEY (list, value)
		)`,
		`CREATE TABLE IF NOT EXISTS list_changes (
			seq        bigserial PRIMARY KEY,
			list       text COLLATE "C" NOT NULL,
			value      text COLLATE "C" NOT NULL,
			action     text NOT NULL,
			comment    text NOT NULL,
			expires_at timestamptz,
			key_id     text NOT NULL,
			at         timestamptz NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS list_changes_value ON list_changes (list, value, seq)`,
	}},
	outboxMigration,      // webhook outbox: loop.go
	compressionMigration, // lz4 for the traces' large columns: compression.go
	partitionMigration,   // traces and trace_rules by day: partition.go
}

// migration2 is the decision log v2: each trace gets its place in a hash
// chain (chain, seq, prev_hash, hash; NULL for traces from version 1, never
// chained). Every writer of every replica keeps a chain of its own, so
// replicas never wait on one another for the chain. Policy sources, their
// activations and the chains' checkpoints get tables of their own.
var migration2 = []string{
	`ALTER TABLE traces ADD COLUMN IF NOT EXISTS chain text COLLATE "C",
		ADD COLUMN IF NOT EXISTS seq bigint,
		ADD COLUMN IF NOT EXISTS prev_hash bytea,
		ADD COLUMN IF NOT EXISTS hash bytea`,
	`CREATE UNIQUE INDEX IF NOT EXISTS traces_chain ON traces (chain, seq)`,
	`CREATE TABLE IF NOT EXISTS policy_versions (
		version   text PRIMARY KEY,
		name      text NOT NULL,
		file      text NOT NULL,
		source    bytea NOT NULL,
		stored_at timestamptz NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS policy_activations (
		version text NOT NULL,
		at      timestamptz NOT NULL,
		mode    text NOT NULL,
		trigger text NOT NULL,
		key_id  text NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS policy_activations_version ON policy_activations (version, at)`,
	`CREATE TABLE IF NOT EXISTS chain_checkpoints (
		chain      text COLLATE "C" NOT NULL,
		seq        bigint NOT NULL,
		hash       text NOT NULL,
		at         timestamptz NOT NULL,
		reason     text NOT NULL,
		removed    bigint NOT NULL,
		public_key text NOT NULL,
		signature  text NOT NULL
	)`,
}

// migrateLock names the advisory lock that serializes migrations, per schema.
const migrateLock = `SELECT pg_advisory_xact_lock(hashtext('verdict.audit.migrate.' || current_schema()))`

// migrate brings the schema up to date in one transaction, holding an
// advisory lock so that replicas starting at once apply each version once.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var schema *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil || schema == nil {
			return fmt.Errorf("migrate: no current schema (does the search_path schema exist?): %v", err)
		}
		if _, err := tx.Exec(ctx, migrateLock); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("migrate: create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("migrate: read schema version: %w", err)
		}
		pending, err := audit.Pending(migrations, current)
		if err != nil {
			return fmt.Errorf("migrate: schema %s: %w", *schema, err)
		}
		for _, m := range pending {
			for _, stmt := range m.Stmts {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("migrate: schema version %d: %w", m.Version, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version); err != nil {
				return fmt.Errorf("migrate: record schema version %d: %w", m.Version, err)
			}
		}
		return nil
	})
}

// checkVersion refuses a read-only open of a database without the schema, or
// with a schema this binary does not read.
func checkVersion(ctx context.Context, pool *pgxpool.Pool) error {
	var current int
	if err := pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("not a verdict decision log: %w", err)
	}
	return audit.CheckVersion(migrations, current)
}
