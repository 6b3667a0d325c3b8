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
	loopMigration,   // reviews and labels: loop.go
	outboxMigration, // webhook outbox: loop.go
}

// migrate brings the schema up to date in one IMMEDIATE transaction, so two
// processes opening the same file at once apply each version exactly once.
func migrate(ctx context.Context, db *sql.DB) error {
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
		for _, stmt := range m.Stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("schema version %d: %w", m.Version, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.Version, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("record schema version %d: %w", m.Version, err)
		}
	}
	return tx.Commit()
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
