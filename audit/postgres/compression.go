package postgres

import "github.com/verdicthq/verdict/audit"

// compressionMigration makes PostgreSQL compress the traces' large columns
// (the body, the report, the copies replay reads) with lz4 instead of
// pglz: a trace is larger than the 2 KB TOAST threshold, so every insert
// compresses it, and pglz was 8–9% of the server's CPU per decision
// (perf, docs/bench-audit.md). lz4 is lossless: the bytes read back are the
// bytes written, and the chain hashes them as before. Rows already stored
// keep pglz (both are read transparently); only new rows use lz4. The
// change is metadata only (no table rewrite). On a server built without
// lz4 (or older than PostgreSQL 14) it is skipped and pglz stays.
var compressionMigration = audit.Migration{Version: 6, Stmts: []string{
	`DO $$
	BEGIN
		EXECUTE 'ALTER TABLE traces ALTER COLUMN body SET COMPRESSION lz4,
			ALTER COLUMN report SET COMPRESSION lz4, ALTER COLUMN context SET COMPRESSION lz4,
			ALTER COLUMN fired SET COMPRESSION lz4, ALTER COLUMN tags SET COMPRESSION lz4';
	EXCEPTION WHEN feature_not_supported OR syntax_error THEN
		RAISE NOTICE 'lz4 compression is not available: traces stay compressed with pglz';
	END
	$$`,
}}
