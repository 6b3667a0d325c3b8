package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// migrations are the schema versions, applied in order, each once. Never edit
// a released one: add a new version.
var migrations = []audit.Migration{
	{Version: 1, Stmts: []string{
		// decided_at is unix microseconds (UTC); body is the trace's JSON
		// without the report; report is the report's bytes as received.
		// report_status, policy_outcome, tags, context and fired (the live
		// fired rule ids, JSON) repeat what replay reads, so it need not
		// decode bodies.
		`CREATE TABLE traces (
			id              TEXT PRIMARY KEY,
			decided_at      INTEGER NOT NULL,
			session_id      TEXT NOT NULL,
			user_id         TEXT NOT NULL,
			outcome         TEXT NOT NULL,
			policy_name     TEXT NOT NULL,
			policy_version  TEXT NOT NULL,
			key_id          TEXT NOT NULL,
			idempotency_key TEXT,
			report_status   TEXT NOT NULL,
			policy_outcome  TEXT NOT NULL,
			tags            TEXT NOT NULL,
			context         TEXT,
			fired           TEXT NOT NULL,
			body            TEXT NOT NULL,
			report          BLOB NOT NULL
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
			rule_id    TEXT NOT NULL,
			decided_at INTEGER NOT NULL,
			trace_id   TEXT NOT NULL,
			PRIMARY KEY (rule_id, decided_at, trace_id)
		) WITHOUT ROWID`,
		`CREATE INDEX trace_rules_time ON trace_rules (decided_at)`,
	}},
	{Version: 2, Stmts: migration2, Rebuilds: "traces"},
	loopMigration, // reviews and labels: loop.go
	// Lists (issue "Rules with memory"): list_items holds what each list has
	// now, list_changes every change ever made, in commit order (seq). Times
	// are unix microseconds; expires_at NULL never expires.
	{Version: 4, Stmts: []string{
		`CREATE TABLE IF NOT EXISTS list_items (
			list       TEXT NOT NULL,
			value      TEXT NOT NULL,
			comment    TEXT NOT NULL,
			expires_at INTEGER,
			added_at   INTEGER NOT NULL,
			updated_at INTEGER NOT NULL,
			key_id     TEXT NOT NULL,
			PRIMARY KEY (list, value)
		) WITHOUT ROWID`,
		`CREATE TABLE IF NOT EXISTS list_changes (
			seq        INTEGER PRIMARY KEY AUTOINCREMENT,
			list       TEXT NOT NULL,
			value      TEXT NOT NULL,
			action     TEXT NOT NULL,
			comment    TEXT NOT NULL,
			expires_at INTEGER,
			key_id     TEXT NOT NULL,
			at         INTEGER NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS list_changes_value ON list_changes (list, value, seq)`,
	}},
	outboxMigration,        // webhook outbox: loop.go
	leanIndexMigration,     // fewer index writes per append
	reportColumnsMigration, // the report's risk_score and checks beside it, for counters
}

// traceColumns are the columns schema versions 1 and 2 share.
const traceColumns = `id, decided_at, session_id, user_id, outcome, policy_name, policy_version,
	key_id, idempotency_key, report_status, policy_outcome, tags, context, fired, body, report`

// migration2 is the decision log v2: traces get an integer key in write
// order (seq, the rowid: the hash chain's order, which VACUUM keeps) and a
// hash chain (prev_hash, hash; NULL for the traces copied from version 1,
// which were never chained); policy sources, their activations and the
// chain's checkpoints get tables of their own.
var migration2 = []string{
	`CREATE TABLE traces_v2 (
		seq             INTEGER PRIMARY KEY,
		id              TEXT NOT NULL,
		decided_at      INTEGER NOT NULL,
		session_id      TEXT NOT NULL,
		user_id         TEXT NOT NULL,
		outcome         TEXT NOT NULL,
		policy_name     TEXT NOT NULL,
		policy_version  TEXT NOT NULL,
		key_id          TEXT NOT NULL,
		idempotency_key TEXT,
		report_status   TEXT NOT NULL,
		policy_outcome  TEXT NOT NULL,
		tags            TEXT NOT NULL,
		context         TEXT,
		fired           TEXT NOT NULL,
		body            TEXT NOT NULL,
		report          BLOB NOT NULL,
		prev_hash       BLOB,
		hash            BLOB
	)`,
	`INSERT INTO traces_v2 (` + traceColumns + `) SELECT ` + traceColumns + ` FROM traces ORDER BY decided_at, id`,
	`DROP TABLE traces`,
	`ALTER TABLE traces_v2 RENAME TO traces`,
	`CREATE UNIQUE INDEX traces_id ON traces (id)`,
	`CREATE INDEX traces_time ON traces (decided_at, id)`,
	`CREATE INDEX traces_session ON traces (session_id, decided_at, id)`,
	`CREATE INDEX traces_user ON traces (user_id, decided_at, id)`,
	`CREATE INDEX traces_outcome ON traces (outcome, decided_at, id)`,
	`CREATE INDEX traces_policy_version ON traces (policy_version, decided_at, id)`,
	`CREATE UNIQUE INDEX traces_idempotency ON traces (key_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
	// A policy's source, once per version (hex SHA-256 of the bytes).
	`CREATE TABLE IF NOT EXISTS policy_versions (
		version   TEXT PRIMARY KEY,
		name      TEXT NOT NULL,
		file      TEXT NOT NULL,
		source    BLOB NOT NULL,
		stored_at INTEGER NOT NULL
	)`,
	// Every time a version went live or shadow, and how.
	`CREATE TABLE IF NOT EXISTS policy_activations (
		version TEXT NOT NULL,
		at      INTEGER NOT NULL,
		mode    TEXT NOT NULL,
		trigger TEXT NOT NULL,
		key_id  TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS policy_activations_version ON policy_activations (version, at)`,
	// Chain heads, signed when a key is configured; retention's sum up the
	// traces it removed.
	`CREATE TABLE IF NOT EXISTS chain_checkpoints (
		chain      TEXT NOT NULL,
		seq        INTEGER NOT NULL,
		hash       TEXT NOT NULL,
		at         INTEGER NOT NULL,
		reason     TEXT NOT NULL,
		removed    INTEGER NOT NULL,
		public_key TEXT NOT NULL,
		signature  TEXT NOT NULL
	)`,
}

// migrate brings the schema up to date in one IMMEDIATE transaction, so two
// processes opening the same file at once apply each version exactly once.
func migrate(ctx context.Context, db *sql.DB) error {
	if err := setJournal(ctx, db); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil) // _txlock=immediate: takes the write lock now
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	pending, err := audit.Pending(migrations, current)
	if err != nil {
		return err
	}
	for _, m := range pending {
		keep, err := othersOn(ctx, tx, m.Rebuilds)
		if err != nil {
			return fmt.Errorf("schema version %d: %w", m.Version, err)
		}
		for _, stmt := range m.Stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("schema version %d: %w", m.Version, err)
			}
		}
		for name, stmt := range keep {
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = ?`, name).Scan(&exists); err != nil {
				return fmt.Errorf("schema version %d: %w", m.Version, err)
			}
			if exists > 0 {
				continue // the migration made it again itself
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("schema version %d: re-create %s on the rebuilt %s: %w", m.Version, name, m.Rebuilds, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.Version, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("record schema version %d: %w", m.Version, err)
		}
	}
	return tx.Commit()
}

// othersOn returns the indexes and triggers on table (by name, with their
// SQL), so a migration that rebuilds the table can put them back; none when
// table is "".
func othersOn(ctx context.Context, tx *sql.Tx, table string) (map[string]string, error) {
	if table == "" {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL`, table)
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, stmt string
		if err := rows.Scan(&name, &stmt); err != nil {
			return nil, err
		}
		out[name] = stmt
	}
	return out, rows.Err()
}

// checkVersion refuses a read-only open of a file without the schema, or
// with a schema newer than this binary knows.
func checkVersion(ctx context.Context, db *sql.DB) error {
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("not a verdict decision log: %w", err)
	}
	return audit.CheckVersion(migrations, current)
}

// SchemaVersion is the newest schema version this build writes.
func SchemaVersion() int { return migrations[len(migrations)-1].Version }

// setJournal turns on the write-ahead log. It is run by migrate rather than
// set as a DSN pragma so that every open checks that the file really is in
// WAL mode, which durability relies on. (A larger page size was tried: 16
// KiB pages cut the writes of a commit by 60% in BenchmarkDecideLogged,
// whose decisions share one session and one user, but the same 28 traces
// of a batch with random session and user ids dirty a random leaf of each
// of those indexes, four times the bytes at 16 KiB; docs/bench-audit.md.)
func setJournal(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil {
		return fmt.Errorf("turn on the write-ahead log: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("turn on the write-ahead log: journal mode is %q", mode)
	}
	return nil
}

// leanIndexMigration trims what each append writes besides the trace: the
// outcome index keeps only the decisions that are not allow (a search for
// allow, most of the log, reads the time index), and trace_rules loses its
// time index (retention deletes fired-rule rows rule by rule through the
// primary key instead; see pruneRules).
var leanIndexMigration = audit.Migration{Version: 6, Stmts: []string{
	`DROP INDEX IF EXISTS traces_outcome`,
	`CREATE INDEX traces_outcome ON traces (outcome, decided_at, id) WHERE outcome <> 'allow'`,
	`DROP INDEX IF EXISTS trace_rules_time`,
}}

// reportColumnsMigration adds copies of each trace's risk score and
// documented checks (its report's risk_score, and report.DocumentedCodes:
// one byte '1'-'3' a check), NULL for a trace written before, without a
// report, or with a report field masked, so that backfilling a counter that reads
// only those of the report reads columns instead of decoding every report
// (ReportColumnRows). The hash chain covers them (audit.ChainRow).
var reportColumnsMigration = audit.Migration{Version: 7, Stmts: []string{
	`ALTER TABLE traces ADD COLUMN risk_score INTEGER`,
	`ALTER TABLE traces ADD COLUMN checks TEXT`,
}}
