package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/verdicthq/verdict/audit"
)

// loopMigration adds the review queue and the fraud labels (issue "Closing
// the loop"). Each statement stands on its own (IF NOT EXISTS), so the
// version may be renumbered among others'. Times are unix microseconds.
var loopMigration = audit.Migration{Version: 3, Stmts: []string{
	`CREATE TABLE IF NOT EXISTS reviews (
		decision_id    TEXT PRIMARY KEY,
		opened_at      INTEGER NOT NULL,
		session_id     TEXT NOT NULL,
		user_id        TEXT NOT NULL,
		policy_name    TEXT NOT NULL,
		policy_version TEXT NOT NULL,
		rules          TEXT NOT NULL,
		status         TEXT NOT NULL,
		claimed_by     TEXT NOT NULL,
		claimed_until  INTEGER NOT NULL,
		resolution     TEXT NOT NULL,
		resolved_by    TEXT NOT NULL,
		resolved_at    INTEGER NOT NULL,
		note           TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS reviews_queue ON reviews (status, opened_at, decision_id)`,
	`CREATE TABLE IF NOT EXISTS review_rules (
		rule_id     TEXT NOT NULL,
		decision_id TEXT NOT NULL,
		PRIMARY KEY (rule_id, decision_id)
	) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS review_events (
		decision_id TEXT NOT NULL,
		seq         INTEGER NOT NULL,
		kind        TEXT NOT NULL,
		actor       TEXT NOT NULL,
		at          INTEGER NOT NULL,
		outcome     TEXT NOT NULL,
		note        TEXT NOT NULL,
		PRIMARY KEY (decision_id, seq)
	) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS labels (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		target      TEXT NOT NULL,
		value       TEXT NOT NULL,
		label       TEXT NOT NULL,
		reason      TEXT NOT NULL,
		occurred_at INTEGER NOT NULL,
		recorded_at INTEGER NOT NULL,
		by_key      TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS labels_target ON labels (target, value, id)`,
	// traces_perf covers the rule performance pass (audit.LoopSQL.RulePerformance):
	// decisions grouped by policy, outcome and fired rules, read from the
	// index alone, in its order, without a sort.
	`CREATE INDEX IF NOT EXISTS traces_perf ON traces (policy_name, policy_outcome, fired, decided_at)`,
	`CREATE TABLE IF NOT EXISTS label_heads (
		target   TEXT NOT NULL,
		value    TEXT NOT NULL,
		label_id INTEGER NOT NULL,
		PRIMARY KEY (target, value)
	) WITHOUT ROWID`,
}}

// outboxMigration adds the webhook outbox: events written with what raised
// them, their deliveries per endpoint and every attempt. Self-contained
// (IF NOT EXISTS), so it may be renumbered. Times are unix microseconds.
var outboxMigration = audit.Migration{Version: 5, Stmts: []string{
	`CREATE TABLE IF NOT EXISTS webhook_events (
		seq         INTEGER PRIMARY KEY AUTOINCREMENT,
		event_id    TEXT NOT NULL UNIQUE,
		type        TEXT NOT NULL,
		decision_id TEXT NOT NULL,
		at          INTEGER NOT NULL,
		payload     TEXT NOT NULL,
		fanned      INTEGER NOT NULL DEFAULT 0
	)`,
	`CREATE INDEX IF NOT EXISTS webhook_events_unfanned ON webhook_events (fanned, seq)`,
	`CREATE TABLE IF NOT EXISTS webhook_deliveries (
		id           INTEGER PRIMARY KEY AUTOINCREMENT,
		event_seq    INTEGER NOT NULL,
		endpoint     TEXT NOT NULL,
		status       TEXT NOT NULL,
		attempts     INTEGER NOT NULL,
		created_at   INTEGER NOT NULL,
		window_start INTEGER NOT NULL,
		next_at      INTEGER NOT NULL,
		delivered_at INTEGER NOT NULL,
		last_error   TEXT NOT NULL,
		UNIQUE (event_seq, endpoint)
	)`,
	`CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_at)`,
	`CREATE TABLE IF NOT EXISTS webhook_attempts (
		delivery_id INTEGER NOT NULL,
		n           INTEGER NOT NULL,
		at          INTEGER NOT NULL,
		status_code INTEGER NOT NULL,
		error       TEXT NOT NULL,
		millis      REAL NOT NULL,
		PRIMARY KEY (delivery_id, n)
	) WITHOUT ROWID`,
}}

// sqlDB is an audit.LoopDB over database/sql (a *sql.DB or a *sql.Tx).
type sqlDB interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

type loopDB struct{ db sqlDB }

func (l loopDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := l.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (l loopDB) Query(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// newLoop builds the review and label side of the store.
func (s *Store) newLoop() *audit.LoopSQL {
	l := &audit.LoopSQL{
		Read:     loopDB{s.r},
		MicrosOf: func(col string) string { return col },
		TimeArg:  func(t time.Time) any { return t.UnixMicro() },
	}
	if s.w != nil {
		l.Tx = func(ctx context.Context, fn func(audit.LoopDB) error) error {
			tx, err := s.w.BeginTx(ctx, nil)
			if err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			defer tx.Rollback()
			if err := fn(loopDB{tx}); err != nil {
				return err
			}
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("commit: %w", err)
			}
			return nil
		}
	}
	return l
}

// insertLoop writes, in the batch's transaction, the reviews its stored
// traces open (with their rules and first event) and the webhook events they
// raise, each table in multi-row INSERTs.
func (s *Store) insertLoop(ctx context.Context, tx *sql.Tx, rows []*audit.Row, errs []error) error {
	stored := func(i int) bool { return errs[i] == nil }
	if ops := audit.ReviewOpenings(rows, stored); len(ops) > 0 {
		reviews := make([]any, 0, len(ops)*reviewsTable.cols)
		events := make([]any, 0, len(ops)*reviewEventsTable.cols)
		var rules []any
		for _, o := range ops {
			reviews = append(reviews, o.DecisionID, o.OpenedAt, o.SessionID, o.UserID, o.Policy.Name, o.Policy.Version,
				o.RulesJSON, "open", "", 0, "", "", 0, "")
			for _, rule := range o.Rules {
				rules = append(rules, rule, o.DecisionID)
			}
			events = append(events, o.DecisionID, 1, "opened", "verdict", o.OpenedAt, "", "")
		}
		for _, in := range []struct {
			t    table
			args []any
		}{{reviewsTable, reviews}, {reviewRulesTable, rules}, {reviewEventsTable, events}} {
			if _, err := s.inserts.exec(ctx, tx, in.t, in.args); err != nil {
				return fmt.Errorf("open %d reviews: %w", len(ops), err)
			}
		}
	}
	events, err := audit.TraceEvents(rows, stored)
	if err != nil || len(events) == 0 {
		return err
	}
	args := make([]any, 0, len(events)*webhookEventsTable.cols)
	for _, e := range events {
		args = append(args, e.ID, e.Type, e.DecisionID, e.At, e.Payload)
	}
	if _, err := s.inserts.exec(ctx, tx, webhookEventsTable, args); err != nil {
		return fmt.Errorf("queue %d webhook events: %w", len(events), err)
	}
	return nil
}
