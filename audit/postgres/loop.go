package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/verdicthq/verdict/audit"
)

// loopMigration adds the review queue and the fraud labels (issue "Closing
// the loop"). Each statement stands on its own (IF NOT EXISTS), so the
// version may be renumbered among others'. Times are unix microseconds, as
// in SQLite, so one SQL serves both (audit.LoopSQL).
var loopMigration = audit.Migration{Version: 3, Stmts: []string{
	`CREATE TABLE IF NOT EXISTS reviews (
		decision_id    text COLLATE "C" PRIMARY KEY,
		opened_at      bigint NOT NULL,
		session_id     text NOT NULL,
		user_id        text NOT NULL,
		policy_name    text NOT NULL,
		policy_version text NOT NULL,
		rules          text NOT NULL,
		status         text NOT NULL,
		claimed_by     text NOT NULL,
		claimed_until  bigint NOT NULL,
		resolution     text NOT NULL,
		resolved_by    text NOT NULL,
		resolved_at    bigint NOT NULL,
		note           text NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS reviews_queue ON reviews (status, opened_at, decision_id)`,
	`CREATE TABLE IF NOT EXISTS review_rules (
		rule_id     text NOT NULL,
		decision_id text COLLATE "C" NOT NULL,
		PRIMARY KEY (rule_id, decision_id)
	)`,
	`CREATE TABLE IF NOT EXISTS review_events (
		decision_id text COLLATE "C" NOT NULL,
		seq         integer NOT NULL,
		kind        text NOT NULL,
		actor       text NOT NULL,
		at          bigint NOT NULL,
		outcome     text NOT NULL,
		note        text NOT NULL,
		PRIMARY KEY (decision_id, seq)
	)`,
	`CREATE TABLE IF NOT EXISTS labels (
		id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		target      text NOT NULL,
		value       text NOT NULL,
		label       text NOT NULL,
		reason      text NOT NULL,
		occurred_at bigint NOT NULL,
		recorded_at bigint NOT NULL,
		by_key      text NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS labels_target ON labels (target, value, id)`,
	`CREATE TABLE IF NOT EXISTS label_heads (
		target   text NOT NULL,
		value    text NOT NULL,
		label_id bigint NOT NULL,
		PRIMARY KEY (target, value)
	)`,
}}

// outboxMigration adds the webhook outbox (see the SQLite one).
var outboxMigration = audit.Migration{Version: 5, Stmts: []string{
	`CREATE TABLE IF NOT EXISTS webhook_events (
		seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		event_id    text NOT NULL UNIQUE,
		type        text NOT NULL,
		decision_id text NOT NULL,
		at          bigint NOT NULL,
		payload     text NOT NULL,
		fanned      integer NOT NULL DEFAULT 0
	)`,
	`CREATE INDEX IF NOT EXISTS webhook_events_unfanned ON webhook_events (fanned, seq)`,
	`CREATE TABLE IF NOT EXISTS webhook_deliveries (
		id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		event_seq    bigint NOT NULL,
		endpoint     text NOT NULL,
		status       text NOT NULL,
		attempts     integer NOT NULL,
		created_at   bigint NOT NULL,
		window_start bigint NOT NULL,
		next_at      bigint NOT NULL,
		delivered_at bigint NOT NULL,
		last_error   text NOT NULL,
		UNIQUE (event_seq, endpoint)
	)`,
	`CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_at)`,
	`CREATE TABLE IF NOT EXISTS webhook_attempts (
		delivery_id bigint NOT NULL,
		n           integer NOT NULL,
		at          bigint NOT NULL,
		status_code integer NOT NULL,
		error       text NOT NULL,
		millis      double precision NOT NULL,
		PRIMARY KEY (delivery_id, n)
	)`,
}}

// pgExecer is a pool or a transaction.
type pgExecer interface {
	Exec(ctx context.Context, q string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, q string, args ...any) (pgx.Rows, error)
}

// loopDB is an audit.LoopDB over pgx; it rewrites "?" placeholders as "$n".
type loopDB struct{ db pgExecer }

func (l loopDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := l.db.Exec(ctx, rebind(q), pgArgs(args)...)
	return tag.RowsAffected(), err
}

func (l loopDB) Query(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := l.db.Query(ctx, rebind(q), pgArgs(args)...)
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

// pgArgs makes string arguments storable (see pgText).
func pgArgs(args []any) []any {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = pgText(s)
		}
	}
	return args
}

// rebind turns each "?" into "$1", "$2", ... (the shared SQL has no "?" in
// literals).
func rebind(q string) string {
	var b strings.Builder
	n := 0
	for {
		i := strings.IndexByte(q, '?')
		if i < 0 {
			b.WriteString(q)
			return b.String()
		}
		n++
		b.WriteString(q[:i])
		b.WriteString("$" + strconv.Itoa(n))
		q = q[i+1:]
	}
}

// newLoop builds the review and label side of the store.
func newLoop(pool *pgxpool.Pool, readOnly bool) *audit.LoopSQL {
	l := &audit.LoopSQL{
		Read:     loopDB{pool},
		MicrosOf: func(col string) string { return `(extract(epoch FROM ` + col + `) * 1000000)::bigint` },
		TimeArg:  func(t time.Time) any { return t },
		TextOf:   func(col string) string { return col + `::text` },
	}
	if !readOnly {
		l.Tx = func(ctx context.Context, fn func(audit.LoopDB) error) error {
			return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return fn(loopDB{tx}) })
		}
	}
	return l
}
