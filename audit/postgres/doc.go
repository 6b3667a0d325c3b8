// Package postgres is the PostgreSQL decision-log store, for several verdict
// replicas sharing one log: a jackc/pgx/v5 pool, appends committed through
// the group-commit audit.Batcher as one pipelined transaction per batch, with
// synchronous_commit forced on for every session.
//
// Importing it registers the "postgres" backend with audit.Open, which takes
// postgres:// and postgresql:// URLs. A search_path query parameter selects
// the schema (the tables are created in it; it must exist). Migrations run
// under a transaction-scoped advisory lock, so replicas starting together
// apply each schema version once.
package postgres
