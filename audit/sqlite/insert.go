package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// chunkSizes are the row counts of the prepared multi-row INSERTs: every
// count up to 16 (a batch at 32 concurrent callers is about 15 traces, so
// it runs one statement a table: running the 8 + 4 + 2 + 1 of powers of two
// cost 5–8% of a logged decision's CPU), then 32 and 64. 64 traces of 21
// columns are 1,344 parameters, far below SQLite's limit of 32,766.
var chunkSizes = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 32, 64}

// table is a multi-row INSERT … ON CONFLICT DO NOTHING into one table.
type table struct {
	name string // for errors
	head string // INSERT INTO name (cols) VALUES
	one  string // one row's placeholders: (?, ?, …)
	cols int
}

func newTable(name, cols string) table {
	n := strings.Count(cols, ",") + 1
	return table{name: name, head: "INSERT INTO " + name + " (" + cols + ") VALUES ",
		one: "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")", cols: n}
}

// The tables a batch writes to.
var (
	tracesTable = newTable("traces", `seq, id, decided_at, session_id, user_id, outcome,
	policy_name, policy_version, key_id, idempotency_key,
	report_status, policy_outcome, tags, context, fired, body, report, prev_hash, hash, risk_score, checks`)
	traceRulesTable    = newTable("trace_rules", "rule_id, decided_at, trace_id")
	reviewsTable       = newTable("reviews", "decision_id, opened_at, session_id, user_id, policy_name, policy_version, rules, status, claimed_by, claimed_until, resolution, resolved_by, resolved_at, note")
	reviewRulesTable   = newTable("review_rules", "rule_id, decision_id")
	reviewEventsTable  = newTable("review_events", "decision_id, seq, kind, actor, at, outcome, note")
	webhookEventsTable = newTable("webhook_events", "event_id, type, decision_id, at, payload")
)

// batchTables are the tables a batch writes to.
var batchTables = []table{tracesTable, traceRulesTable, reviewsTable, reviewRulesTable, reviewEventsTable, webhookEventsTable}

// inserts keeps the writer's multi-row INSERT statements, prepared at open
// for each table and each of chunkSizes. A batch of n rows runs the largest
// that fits, then the largest that fits the rest, and so on. They are
// prepared before any batch because the writer has one connection, which a
// batch's transaction holds.
type inserts struct {
	stmts map[table][]*sql.Stmt // by index in chunkSizes
}

func prepareInserts(ctx context.Context, db *sql.DB) (*inserts, error) {
	c := &inserts{stmts: map[table][]*sql.Stmt{}}
	for _, t := range batchTables {
		for _, n := range chunkSizes {
			q := t.head + strings.TrimSuffix(strings.Repeat(t.one+", ", n), ", ") + " ON CONFLICT DO NOTHING"
			st, err := db.PrepareContext(ctx, q)
			if err != nil {
				return nil, fmt.Errorf("prepare insert of %d rows into %s: %w", n, t.name, err)
			}
			c.stmts[t] = append(c.stmts[t], st)
		}
	}
	return c, nil
}

// exec inserts the rows whose columns args holds, row after row, into t
// within tx, and returns how many rows were inserted (a row that conflicts
// with one stored is skipped, as ON CONFLICT DO NOTHING does).
func (c *inserts) exec(ctx context.Context, tx *sql.Tx, t table, args []any) (int64, error) {
	if len(args)%t.cols != 0 {
		return 0, fmt.Errorf("insert into %s: %d values for rows of %d columns", t.name, len(args), t.cols)
	}
	var inserted int64
	for rows := len(args) / t.cols; rows > 0; {
		i := len(chunkSizes) - 1
		for chunkSizes[i] > rows {
			i--
		}
		n, st := chunkSizes[i], c.stmts[t][i]
		res, err := tx.StmtContext(ctx, st).ExecContext(ctx, args[:n*t.cols]...)
		if err != nil {
			return inserted, fmt.Errorf("insert %d rows into %s: %w", n, t.name, err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return inserted, fmt.Errorf("insert %d rows into %s: %w", n, t.name, err)
		}
		inserted += k
		args, rows = args[n*t.cols:], rows-n
	}
	return inserted, nil
}
