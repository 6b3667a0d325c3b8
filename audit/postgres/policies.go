package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/verdicthq/verdict/audit"
)

// RecordPolicy stores a policy version's source once and adds an
// activation (audit.PolicyLog).
func (s *Store) RecordPolicy(ctx context.Context, v audit.PolicyVersion, a audit.Activation) error {
	if s.readOnly {
		return audit.ErrReadOnly
	}
	if err := audit.CheckPolicyVersion(v); err != nil {
		return err
	}
	at := a.At.UTC()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO policy_versions (version, name, file, source, stored_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, v.Version, pgText(v.Name), pgText(v.File), v.Source, at); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO policy_activations (version, at, mode, trigger, key_id) VALUES ($1, $2, $3, $4, $5)`,
			v.Version, at, a.Mode, a.Trigger, pgText(a.KeyID))
		return err
	})
	if err != nil {
		return fmt.Errorf("record policy %s: %w", v.Version, err)
	}
	return nil
}

// PolicyVersion returns a stored policy source and its activations.
func (s *Store) PolicyVersion(ctx context.Context, version string) (*audit.PolicyVersion, error) {
	v := audit.PolicyVersion{Version: version}
	err := s.pool.QueryRow(ctx, `SELECT name, file, source, stored_at FROM policy_versions WHERE version = $1`, version).
		Scan(&v.Name, &v.File, &v.Source, &v.Stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, audit.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read policy %s: %w", version, err)
	}
	v.Stored = v.Stored.UTC()
	rows, err := s.pool.Query(ctx, `SELECT at, mode, trigger, key_id FROM policy_activations WHERE version = $1 ORDER BY at`, version)
	if err != nil {
		return nil, fmt.Errorf("read activations of policy %s: %w", version, err)
	}
	defer rows.Close()
	v.Activations = []audit.Activation{}
	for rows.Next() {
		var a audit.Activation
		if err := rows.Scan(&a.At, &a.Mode, &a.Trigger, &a.KeyID); err != nil {
			return nil, fmt.Errorf("read activation of policy %s: %w", version, err)
		}
		a.At = a.At.UTC()
		v.Activations = append(v.Activations, a)
	}
	return &v, rows.Err()
}
