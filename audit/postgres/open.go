package postgres

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/verdicthq/verdict/audit"
)

func init() {
	open := func(ctx context.Context, url string, opts audit.Options) (audit.Store, error) {
		return Open(ctx, url, opts)
	}
	audit.Register("postgres", open)
}

// Store is the PostgreSQL decision log. It implements audit.Store.
type Store struct {
	pool     *pgxpool.Pool
	batch    *audit.Batcher
	readOnly bool
	heads    chan *chainHead    // one chain per writer, taken for a commit
	chains   []string           // the writers' chain names
	key      ed25519.PrivateKey // signs retention checkpoints; nil: unsigned
	mask     *audit.Mask        // masks searches by masked fields

	partitionedUntil atomic.Pointer[time.Time] // day partitions exist up to here (ensurePartitions)
	partitionRetry   atomic.Int64              // after a failure, not before this (Unix ns)

	// LoopSQL is the review queue and the fraud labels (audit.Reviews, audit.Labels).
	*audit.LoopSQL
}

var (
	_ audit.Store             = (*Store)(nil)
	_ audit.RowSource         = (*Store)(nil)
	_ audit.PolicyLog         = (*Store)(nil)
	_ audit.CheckpointLog     = (*Store)(nil)
	_ audit.Reviews           = (*Store)(nil)
	_ audit.Labels            = (*Store)(nil)
	_ audit.PerformanceReader = (*Store)(nil)
	_ audit.Outbox            = (*Store)(nil)
)

// Open connects to the PostgreSQL log that url names and, unless read-only,
// brings its schema up to date.
func Open(ctx context.Context, url string, opts audit.Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("%w: database URL: %v", audit.ErrInvalid, err)
	}
	rp := cfg.ConnConfig.RuntimeParams
	if rp["application_name"] == "" { // the URL may name the replica
		rp["application_name"] = "verdict"
	}
	// A commit returns only once the server has flushed it to its WAL,
	// whatever the server's default says.
	rp["synchronous_commit"] = "on"
	if opts.ReadOnly {
		rp["default_transaction_read_only"] = "on"
	}
	writers := opts.Writers
	if writers <= 0 {
		writers = 2
	}
	// Writers each hold a connection while they commit; keep two for reads.
	if minConns := int32(writers + 2); cfg.MaxConns < minConns {
		cfg.MaxConns = minConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	s := &Store{pool: pool, readOnly: opts.ReadOnly, key: opts.CheckpointKey, mask: opts.Mask, heads: make(chan *chainHead, writers), LoopSQL: newLoop(pool, opts.ReadOnly)}
	// Each writer chains its own traces, from a chain named for this open
	// (host, a random id, the writer's number): no replica, and no writer,
	// waits on another's chain.
	host, _ := os.Hostname()
	run := audit.NewID()
	for i := range writers {
		name := fmt.Sprintf("%s/%s/%d", host, run[len(run)-12:], i)
		s.chains = append(s.chains, name)
		s.heads <- &chainHead{name: name, hash: audit.ZeroHash, h: audit.NewChainHasher()}
	}
	if opts.ReadOnly {
		err = checkVersion(ctx, pool)
	} else {
		err = migrate(ctx, pool)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		_ = s.ensurePartitions(ctx, time.Now()) // a failure fails no write (see there); commits try again
		s.batch = audit.NewBatcher(s.commit, opts.MaxBatchOrDefault(), writers, 30*time.Second)
		s.batch.Mask = opts.Mask
	}
	return s, nil
}

// Ping checks that the server answers and, unless the store is read-only,
// that the log can write: a batch committed within audit.WriteTrust, or a
// write probe (see probeWrite) that commits now. A server gone, read-only or
// refusing writes fails it with the reason; it passes again once a write
// succeeds.
func (s *Store) Ping(ctx context.Context) error {
	var err error
	for range s.pool.Config().MaxConns + 1 { // past the connections the server cut (see begin)
		if err = s.pool.Ping(ctx); err == nil || !deadConn(err) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	if s.batch == nil {
		return nil
	}
	if err := s.batch.CheckWrite(ctx, s.probeWrite); err != nil {
		return fmt.Errorf("decision log: %w", err)
	}
	return nil
}

// probeWrite commits a transaction that writes no data but takes a
// transaction id, so its commit is a WAL record flushed to disk
// (synchronous_commit is on), as a trace's is. A read-only session or server
// (a standby), or a role that may no longer insert traces, fails it.
func (s *Store) probeWrite(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("write probe: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var readOnly, mayInsert bool
	if err := tx.QueryRow(ctx, `SELECT current_setting('transaction_read_only') = 'on',
		has_table_privilege('traces', 'INSERT') AND has_table_privilege('trace_rules', 'INSERT'),
		pg_current_xact_id() IS NOT NULL`).Scan(&readOnly, &mayInsert, new(bool)); err != nil {
		return fmt.Errorf("write probe: %w", err)
	}
	switch {
	case readOnly:
		return fmt.Errorf("write probe: the server or session is read-only")
	case !mayInsert:
		return fmt.Errorf("write probe: the role may not insert into traces and trace_rules")
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("write probe: commit: %w", err)
	}
	return nil
}

// Close commits the pending appends, then closes the pool.
func (s *Store) Close() error {
	if s.batch != nil {
		s.batch.Close()
	}
	s.pool.Close()
	return nil
}
