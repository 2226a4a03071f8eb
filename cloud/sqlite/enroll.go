package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// CreateEnrollment implements domain.Store.
func (s *Store) CreateEnrollment(ctx context.Context, c domain.GatewayCredential, tokenHash string, createdAt, expiresAt time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create enrollment %s: %w", c.ID, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO gateways (id, site, secret_hash, created_at) VALUES (?, ?, '', ?)`,
		c.ID, c.Site, ts(createdAt)); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("sqlite: create enrollment %s: gateway exists: %w", c.ID, domain.ErrConflict)
		}
		return fmt.Errorf("sqlite: create enrollment %s: %w", c.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO enrollment_tokens (token_hash, gw, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tokenHash, c.ID, ts(createdAt), ts(expiresAt)); err != nil {
		return fmt.Errorf("sqlite: create enrollment %s: %w", c.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create enrollment %s: %w", c.ID, err)
	}
	return nil
}

// ConsumeEnrollment implements domain.Store.
func (s *Store) ConsumeEnrollment(ctx context.Context, tokenHash, secretHash string, now time.Time) (domain.GatewayCredential, error) {
	var c domain.GatewayCredential
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return c, fmt.Errorf("sqlite: enroll: %w", err)
	}
	defer tx.Rollback()
	var expires string
	var used, revoked sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT t.gw, g.site, t.expires_at, t.used_at, g.revoked_at
		FROM enrollment_tokens t JOIN gateways g ON g.id = t.gw WHERE t.token_hash = ?`, tokenHash).
		Scan(&c.ID, &c.Site, &expires, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("sqlite: enroll: unknown token: %w", domain.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: enroll: %w", err)
	}
	switch {
	case used.Valid:
		return c, fmt.Errorf("sqlite: enroll %s: %w", c.ID, domain.ErrTokenUsed)
	case revoked.Valid:
		return c, fmt.Errorf("sqlite: enroll %s: %w", c.ID, domain.ErrRevoked)
	case expires <= ts(now):
		return c, fmt.Errorf("sqlite: enroll %s: %w", c.ID, domain.ErrTokenExpired)
	}
	res, err := tx.ExecContext(ctx, `UPDATE enrollment_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`, ts(now), tokenHash)
	if err != nil {
		return c, fmt.Errorf("sqlite: enroll %s: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return c, fmt.Errorf("sqlite: enroll %s: %w", c.ID, domain.ErrTokenUsed)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE gateways SET secret_hash = ? WHERE id = ?`, secretHash, c.ID); err != nil {
		return c, fmt.Errorf("sqlite: enroll %s: %w", c.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return c, fmt.Errorf("sqlite: enroll %s: %w", c.ID, err)
	}
	c.SecretHash = secretHash
	return c, nil
}

// RevokeGateway implements domain.Store.
func (s *Store) RevokeGateway(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE gateways SET secret_hash = '', revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ts(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: revoke %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: revoke %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: revoke %s: %w", id, domain.ErrNotFound)
	}
	return nil
}
