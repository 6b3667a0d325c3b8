package postgres

import (
	"context"
	"fmt"
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

// openReviewsSQL writes a batch's reviews, their rules and their opened
// events in one statement, from arrays.
const openReviewsSQL = `WITH ins AS (
	INSERT INTO reviews (decision_id, opened_at, session_id, user_id, policy_name, policy_version, rules,
		status, claimed_by, claimed_until, resolution, resolved_by, resolved_at, note)
	SELECT d, o, s, u, pn, pv, r, 'open', '', 0, '', '', 0, ''
	FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS v(d, o, s, u, pn, pv, r)
	ON CONFLICT DO NOTHING
	RETURNING decision_id, opened_at
), rules AS (
	INSERT INTO review_rules (rule_id, decision_id)
	SELECT x.rule_id, ins.decision_id FROM ins JOIN unnest($8::text[], $9::text[]) AS x(decision_id, rule_id)
		ON x.decision_id = ins.decision_id
	ON CONFLICT DO NOTHING
)
INSERT INTO review_events (decision_id, seq, kind, actor, at, outcome, note)
SELECT decision_id, 1, 'opened', 'verdict', opened_at, '', '' FROM ins`

// openReviews writes, in the batch's transaction, the reviews its stored
// traces open.
func openReviews(ctx context.Context, tx pgx.Tx, rows []*audit.Row, stored func(i int) bool) error {
	if err := queueEvents(ctx, tx, rows, stored); err != nil {
		return err
	}
	ops := audit.ReviewOpenings(rows, stored)
	if len(ops) == 0 {
		return nil
	}
	n := len(ops)
	ids, opened := make([]string, n), make([]int64, n)
	sessions, users, names, versions, rules := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	var ruleIDs, ruleRules []string
	for i, o := range ops {
		ids[i], opened[i], sessions[i], users[i] = o.DecisionID, o.OpenedAt, pgText(o.SessionID), pgText(o.UserID)
		names[i], versions[i], rules[i] = pgText(o.Policy.Name), o.Policy.Version, pgText(o.RulesJSON)
		for _, r := range o.Rules {
			ruleIDs, ruleRules = append(ruleIDs, o.DecisionID), append(ruleRules, pgText(r))
		}
	}
	_, err := tx.Exec(ctx, openReviewsSQL, ids, opened, sessions, users, names, versions, rules, ruleIDs, ruleRules)
	return err
}

// queueEvents writes the webhook events of a batch in one statement.
func queueEvents(ctx context.Context, tx pgx.Tx, rows []*audit.Row, stored func(i int) bool) error {
	events, err := audit.TraceEvents(rows, stored)
	if err != nil || len(events) == 0 {
		return err
	}
	n := len(events)
	ids, types, decisions, payloads, ats := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
	for i, e := range events {
		ids[i], types[i], decisions[i], payloads[i], ats[i] = e.ID, e.Type, e.DecisionID, pgText(e.Payload), e.At
	}
	_, err = tx.Exec(ctx, `INSERT INTO webhook_events (event_id, type, decision_id, at, payload)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])`, ids, types, decisions, ats, payloads)
	if err != nil {
		return fmt.Errorf("queue %d webhook events: %w", n, err)
	}
	return nil
}
