package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// CreateEnrollment implements domain.Store: a bulk creation of one
// (CreateEnrollments, fleet.go).
func (s *Store) CreateEnrollment(ctx context.Context, c domain.GatewayCredential, tokenHash string, createdAt, expiresAt time.Time) error {
	return s.CreateEnrollments(ctx, []domain.NewGateway{{ID: c.ID, Site: c.Site, TokenHash: tokenHash}}, createdAt, expiresAt)
}

// ConsumeEnrollment implements domain.Store (rule: domain.CheckEnrollment).
// The token row is locked, and the update is conditional, so that two
// concurrent uses cannot both succeed.
func (s *Store) ConsumeEnrollment(ctx context.Context, tokenHash, secretHash string, now time.Time) (domain.GatewayCredential, error) {
	var c domain.GatewayCredential
	err := s.inTx(ctx, "enroll", func(tx *Tx) error {
		var expires time.Time
		var used, revoked *time.Time
		err := tx.Row(ctx, `SELECT t.gw, g.site, t.expires_at, t.used_at, g.revoked_at
			FROM enrollment_tokens t JOIN gateways g ON g.id = t.gw WHERE t.token_hash = ?`+s.D.forUpdate("t"), tokenHash).
			Scan(&c.ID, &c.Site, Time(&expires), NullTime(&used), NullTime(&revoked))
		if errors.Is(err, sql.ErrNoRows) {
			return s.errf("enroll: unknown token: %w", domain.ErrNotFound)
		}
		if err != nil {
			return s.errf("enroll: %w", err)
		}
		if err := domain.CheckEnrollment(expires, used, revoked, now); err != nil {
			return s.errf("enroll %s: %w", c.ID, err)
		}
		n, err := tx.Affected(ctx, `UPDATE enrollment_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`, s.D.T(now), tokenHash)
		if err != nil {
			return s.errf("enroll %s: %w", c.ID, err)
		}
		if n != 1 {
			return s.errf("enroll %s: %w", c.ID, domain.ErrTokenUsed)
		}
		if _, err := tx.Exec(ctx, `UPDATE gateways SET secret_hash = ? WHERE id = ?`, secretHash, c.ID); err != nil {
			return s.errf("enroll %s: %w", c.ID, err)
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	c.SecretHash = secretHash
	return c, nil
}

// RevokeGateway implements domain.Store.
func (s *Store) RevokeGateway(ctx context.Context, id string, at time.Time) error {
	n, err := s.Conn().Affected(ctx, `UPDATE gateways SET secret_hash = '', revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, s.D.T(at), id)
	if err != nil {
		return s.errf("revoke %s: %w", id, err)
	}
	if n == 0 {
		return s.errf("revoke %s: %w", id, domain.ErrNotFound)
	}
	return nil
}
