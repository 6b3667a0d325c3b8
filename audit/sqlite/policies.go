package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record policy %s: begin: %w", v.Version, err)
	}
	defer tx.Rollback()
	at := a.At.UTC().UnixMicro()
	if _, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (version, name, file, source, stored_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, v.Version, v.Name, v.File, v.Source, at); err != nil {
		return fmt.Errorf("record policy %s: %w", v.Version, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO policy_activations (version, at, mode, trigger, key_id) VALUES (?, ?, ?, ?, ?)`,
		v.Version, at, a.Mode, a.Trigger, a.KeyID); err != nil {
		return fmt.Errorf("record activation of policy %s: %w", v.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record policy %s: commit: %w", v.Version, err)
	}
	return nil
}

// PolicyVersion returns a stored policy source and its activations.
func (s *Store) PolicyVersion(ctx context.Context, version string) (*audit.PolicyVersion, error) {
	v := audit.PolicyVersion{Version: version}
	var stored int64
	err := s.r.QueryRowContext(ctx, `SELECT name, file, source, stored_at FROM policy_versions WHERE version = ?`, version).
		Scan(&v.Name, &v.File, &v.Source, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, audit.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read policy %s: %w", version, err)
	}
	v.Stored = time.UnixMicro(stored).UTC()
	rows, err := s.r.QueryContext(ctx, `SELECT at, mode, trigger, key_id FROM policy_activations WHERE version = ? ORDER BY at`, version)
	if err != nil {
		return nil, fmt.Errorf("read activations of policy %s: %w", version, err)
	}
	defer rows.Close()
	v.Activations = []audit.Activation{}
	for rows.Next() {
		var a audit.Activation
		var at int64
		if err := rows.Scan(&at, &a.Mode, &a.Trigger, &a.KeyID); err != nil {
			return nil, fmt.Errorf("read activation of policy %s: %w", version, err)
		}
		a.At = time.UnixMicro(at).UTC()
		v.Activations = append(v.Activations, a)
	}
	return &v, rows.Err()
}
