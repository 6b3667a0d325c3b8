package postgres

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/verdicthq/verdict/audit"
)

// batchSQL stores a whole batch in one statement: the idempotency keys
// (a trace with a key is stored only if its key was new: the one decision
// per key, across replicas, partition.go), the traces, their fired
// rule ids, the reviews they open (with their rules and opened events) and
// their webhook events, all from arrays (one element per row; rules as
// parallel arrays of owner id and rule id). Reviews and events join the
// traces stored (ins), so a refused trace takes neither along. It returns
// the ids it stored: a missing one was already stored (same id, or same key
// id and idempotency key). One statement is one round trip however many
// tables a decision touches.
const batchSQL = `WITH keys AS (
	INSERT INTO idempotency_keys (key_id, idempotency_key, id, id_time, decided_at)
	SELECT k.key_id, k.idempotency_key, k.id, k.id_time, k.decided_at
	FROM unnest($8::text[], $9::text[], $1::text[], $37::timestamptz[], $2::timestamptz[]) AS k(key_id, idempotency_key, id, id_time, decided_at)
	WHERE k.idempotency_key IS NOT NULL
	ON CONFLICT DO NOTHING
	RETURNING id
), ins AS (
	INSERT INTO traces (id, decided_at, session_id, user_id, outcome,
		policy_name, policy_version, key_id, idempotency_key,
		report_status, policy_outcome, tags, context, fired, body, report, chain, seq, prev_hash, hash, id_time)
	SELECT id, decided_at, session_id, user_id, outcome, policy_name, policy_version,
		key_id, idempotency_key, report_status, policy_outcome, tags::json, context::json,
		fired::json, body::json, report, $19, seq, prev_hash, hash, id_time
	FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
		$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
		$12::text[], $13::text[], $14::text[], $15::text[], $16::bytea[],
		$20::int8[], $21::bytea[], $22::bytea[], $37::timestamptz[])
		AS v(id, decided_at, session_id, user_id, outcome, policy_name, policy_version,
			key_id, idempotency_key, report_status, policy_outcome, tags, context, fired, body, report,
			seq, prev_hash, hash, id_time)
	WHERE (v.idempotency_key IS NULL OR v.id IN (SELECT id FROM keys))
		-- a trace stored before schema 7 has id_time -infinity whatever its id;
		-- a scalar subquery, so it runs as one primary-key probe per row
		AND NOT (SELECT EXISTS (SELECT FROM traces o WHERE o.id = v.id AND o.id_time = '-infinity'))
	ON CONFLICT DO NOTHING
	RETURNING id, decided_at, id_time
), rules AS (
	INSERT INTO trace_rules (rule_id, decided_at, trace_id, id_time)
	SELECT r.rule_id, ins.decided_at, ins.id, ins.id_time
	FROM ins JOIN unnest($17::text[], $18::text[]) AS r(trace_id, rule_id) ON r.trace_id = ins.id
), rv AS (
	INSERT INTO reviews (decision_id, opened_at, session_id, user_id, policy_name, policy_version, rules,
		status, claimed_by, claimed_until, resolution, resolved_by, resolved_at, note)
	SELECT v.d, v.o, v.s, v.u, v.pn, v.pv, v.r, 'open', '', 0, '', '', 0, ''
	FROM unnest($23::text[], $24::bigint[], $25::text[], $26::text[], $27::text[], $28::text[], $29::text[])
		AS v(d, o, s, u, pn, pv, r) JOIN ins ON ins.id = v.d
	ON CONFLICT DO NOTHING
	RETURNING decision_id, opened_at
), rvr AS (
	INSERT INTO review_rules (rule_id, decision_id)
	SELECT x.rule_id, rv.decision_id FROM rv JOIN unnest($30::text[], $31::text[]) AS x(decision_id, rule_id)
		ON x.decision_id = rv.decision_id
	ON CONFLICT DO NOTHING
), rve AS (
	INSERT INTO review_events (decision_id, seq, kind, actor, at, outcome, note)
	SELECT decision_id, 1, 'opened', 'verdict', opened_at, '', '' FROM rv
), ev AS (
	INSERT INTO webhook_events (event_id, type, decision_id, at, payload)
	SELECT e.event_id, e.type, e.decision_id, e.at, e.payload
	FROM unnest($32::text[], $33::text[], $34::text[], $35::bigint[], $36::text[]) AS e(event_id, type, decision_id, at, payload)
		JOIN ins ON ins.id = e.decision_id
)
SELECT id FROM ins`

// batchArgs builds batchSQL's arguments for rows[live], chained after
// head; it returns them with the new head's seq and hash.
func batchArgs(head *chainHead, rows []*audit.Row, live []int) ([]any, int64, []byte, error) {
	n := len(live)
	var (
		ids, sessions, users, outcomes = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		names, versions, keys, bodies  = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		times                          = make([]time.Time, n)
		idems, contexts                = make([]*string, n), make([]*string, n)
		statuses, polOutcomes          = make([]string, n), make([]string, n)
		tags, fired                    = make([]string, n), make([]string, n)
		reports                        = make([][]byte, n)
		seqs                           = make([]int64, n)
		idTimes                        = make([]pgtype.Timestamptz, n)
		prevs, hashes                  = make([][]byte, n), make([][]byte, n)
		ruleTraces, ruleIDs            []string
	)
	batch := make([]*audit.Row, n)
	seq, prev := head.seq, head.hash
	for j, i := range live {
		r := rows[i]
		batch[j] = r
		t := r.Trace
		ids[j], times[j], sessions[j], users[j], outcomes[j] = t.ID, t.DecidedAt, pgText(t.SessionID), pgText(t.UserID), string(t.Outcome)
		names[j], versions[j], keys[j], bodies[j] = pgText(t.Policy.Name), t.Policy.Version, pgText(t.KeyID), string(r.Body)
		if t.IdempotencyKey != "" {
			idems[j] = &t.IdempotencyKey
		}
		statuses[j], polOutcomes[j], tags[j], fired[j] = t.ReportStatus, r.PolicyOutcome, string(r.Tags), string(r.FiredRules)
		if r.Context != nil {
			c := string(r.Context)
			contexts[j] = &c
		}
		idTimes[j] = idTime(t.ID)
		reports[j] = r.Report
		if reports[j] == nil {
			reports[j] = []byte{}
		}
		cr := audit.ChainRowOf(r, pgText)
		cr.Chain, cr.Seq = head.name, seq+1
		seq, seqs[j], prevs[j] = cr.Seq, cr.Seq, prev
		hashes[j] = append([]byte(nil), head.h.Hash(prev, &cr)...)
		prev = hashes[j]
		for _, rule := range r.Rules {
			ruleTraces, ruleIDs = append(ruleTraces, t.ID), append(ruleIDs, rule)
		}
	}
	all := func(int) bool { return true } // batchSQL joins each to its stored trace
	reviews := reviewArgs(audit.ReviewOpenings(batch, all))
	events, err := eventArgs(batch, all)
	if err != nil {
		return nil, 0, nil, err
	}
	args := []any{ids, times, sessions, users, outcomes,
		names, versions, keys, idems, statuses, polOutcomes, tags, contexts, fired,
		bodies, reports, ruleTraces, ruleIDs, head.name, seqs, prevs, hashes}
	args = append(args, reviews...)
	args = append(args, events...)
	return append(args, idTimes), seq, prev, nil
}

// reviewArgs are batchSQL's review arrays ($23–$31).
func reviewArgs(ops []audit.ReviewOpening) []any {
	n := len(ops)
	ids, opened := make([]string, n), make([]int64, n)
	sessions, users, names, versions, rules := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ruleIDs, ruleRules := []string{}, []string{}
	for i, o := range ops {
		ids[i], opened[i], sessions[i], users[i] = o.DecisionID, o.OpenedAt, pgText(o.SessionID), pgText(o.UserID)
		names[i], versions[i], rules[i] = pgText(o.Policy.Name), o.Policy.Version, pgText(o.RulesJSON)
		for _, r := range o.Rules {
			ruleIDs, ruleRules = append(ruleIDs, o.DecisionID), append(ruleRules, pgText(r))
		}
	}
	return []any{ids, opened, sessions, users, names, versions, rules, ruleIDs, ruleRules}
}

// eventArgs are batchSQL's webhook event arrays ($32–$36).
func eventArgs(batch []*audit.Row, stored func(int) bool) ([]any, error) {
	events, err := audit.TraceEvents(batch, stored)
	if err != nil {
		return nil, err
	}
	n := len(events)
	ids, types, decisions, payloads, ats := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
	for i, e := range events {
		ids[i], types[i], decisions[i], payloads[i], ats[i] = e.ID, e.Type, e.DecisionID, pgText(e.Payload), e.At
	}
	return []any{ids, types, decisions, ats, payloads}, nil
}
