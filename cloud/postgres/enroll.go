package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// CreateEnrollment implements domain.Store.
func (s *Store) CreateEnrollment(ctx context.Context, c domain.GatewayCredential, tokenHash string, createdAt, expiresAt time.Time) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: create enrollment %s: %w", c.ID, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO gateways (id, site, secret_hash, created_at) VALUES ($1, $2, '', $3)`,
		c.ID, c.Site, createdAt.UTC()); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return fmt.Errorf("postgres: create enrollment %s: gateway exists: %w", c.ID, domain.ErrConflict)
		}
		return fmt.Errorf("postgres: create enrollment %s: %w", c.ID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO enrollment_tokens (token_hash, gw, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		tokenHash, c.ID, createdAt.UTC(), expiresAt.UTC()); err != nil {
		return fmt.Errorf("postgres: create enrollment %s: %w", c.ID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: create enrollment %s: %w", c.ID, err)
	}
	return nil
}

// ConsumeEnrollment implements domain.Store. The token row is locked
// (FOR UPDATE) so that two concurrent uses cannot both succeed.
func (s *Store) ConsumeEnrollment(ctx context.Context, tokenHash, secretHash string, now time.Time) (domain.GatewayCredential, error) {
	var c domain.GatewayCredential
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return c, fmt.Errorf("postgres: enroll: %w", err)
	}
	defer tx.Rollback(ctx)
	var expires time.Time
	var used, revoked *time.Time
	err = tx.QueryRow(ctx, `SELECT t.gw, g.site, t.expires_at, t.used_at, g.revoked_at
		FROM enrollment_tokens t JOIN gateways g ON g.id = t.gw WHERE t.token_hash = $1 FOR UPDATE OF t`, tokenHash).
		Scan(&c.ID, &c.Site, &expires, &used, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("postgres: enroll: unknown token: %w", domain.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("postgres: enroll: %w", err)
	}
	switch {
	case used != nil:
		return c, fmt.Errorf("postgres: enroll %s: %w", c.ID, domain.ErrTokenUsed)
	case revoked != nil:
		return c, fmt.Errorf("postgres: enroll %s: %w", c.ID, domain.ErrRevoked)
	case !expires.After(now):
		return c, fmt.Errorf("postgres: enroll %s: %w", c.ID, domain.ErrTokenExpired)
	}
	if _, err := tx.Exec(ctx, `UPDATE enrollment_tokens SET used_at = $1 WHERE token_hash = $2`, now.UTC(), tokenHash); err != nil {
		return c, fmt.Errorf("postgres: enroll %s: %w", c.ID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE gateways SET secret_hash = $1 WHERE id = $2`, secretHash, c.ID); err != nil {
		return c, fmt.Errorf("postgres: enroll %s: %w", c.ID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return c, fmt.Errorf("postgres: enroll %s: %w", c.ID, err)
	}
	c.SecretHash = secretHash
	return c, nil
}

// RevokeGateway implements domain.Store.
func (s *Store) RevokeGateway(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE gateways SET secret_hash = '', revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, at.UTC(), id)
	if err != nil {
		return fmt.Errorf("postgres: revoke %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: revoke %s: %w", id, domain.ErrNotFound)
	}
	return nil
}
