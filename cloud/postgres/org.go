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

// inScope is the condition of the List queries that keeps rows whose
// site column col is a site in the subtree of the scope bound to $1
// (every row when $1 is empty). Ids are [a-z0-9-], so LIKE needs no escaping.
func inScope(col string) string {
	return `($1 = '' OR ` + col + ` IN (SELECT u.id FROM org_units u JOIN org_units r ON u.path LIKE r.path || '%'
		WHERE r.id = $1 AND u.level = 'site'))`
}

const orgCols = `id, COALESCE(parent_id, ''), level, name, path, created_at`

func scanOrgUnit(row pgx.Row) (domain.OrgUnit, error) {
	var u domain.OrgUnit
	err := row.Scan(&u.ID, &u.ParentID, &u.Level, &u.Name, &u.Path, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, domain.ErrNotFound
	}
	u.CreatedAt = utc(u.CreatedAt)
	return u, err
}

func orgParent(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateOrgUnit implements domain.Store.
func (s *Store) CreateOrgUnit(ctx context.Context, u domain.OrgUnit, at time.Time) (domain.OrgUnit, error) {
	if err := domain.ValidateOrgUnit(u); err != nil {
		return u, fmt.Errorf("postgres: create org unit: %w", err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return u, fmt.Errorf("postgres: create org unit %s: %w", u.ID, err)
	}
	defer tx.Rollback(ctx)
	var parent *domain.OrgUnit
	if u.ParentID != "" {
		p, err := scanOrgUnit(tx.QueryRow(ctx, `SELECT `+orgCols+` FROM org_units WHERE id = $1`, u.ParentID))
		if err != nil {
			return u, fmt.Errorf("postgres: create org unit %s: parent %s: %w", u.ID, u.ParentID, err)
		}
		parent = &p
	}
	if u.Path, err = domain.CheckParent(u, parent); err != nil {
		return u, fmt.Errorf("postgres: create org unit %s: %w", u.ID, err)
	}
	u.CreatedAt = at.UTC().Truncate(time.Microsecond)
	if _, err := tx.Exec(ctx, `INSERT INTO org_units (id, parent_id, level, name, path, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, u.ID, orgParent(u.ParentID), u.Level, u.Name, u.Path, u.CreatedAt); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return u, fmt.Errorf("postgres: create org unit %s: id exists: %w", u.ID, domain.ErrConflict)
		}
		return u, fmt.Errorf("postgres: create org unit %s: %w", u.ID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return u, fmt.Errorf("postgres: create org unit %s: %w", u.ID, err)
	}
	return u, nil
}

// OrgUnit implements domain.Store.
func (s *Store) OrgUnit(ctx context.Context, id string) (domain.OrgUnit, error) {
	u, err := scanOrgUnit(s.pool.QueryRow(ctx, `SELECT `+orgCols+` FROM org_units WHERE id = $1`, id))
	if err != nil {
		return u, fmt.Errorf("postgres: org unit %s: %w", id, err)
	}
	return u, nil
}

// ListOrgUnits implements domain.Store.
func (s *Store) ListOrgUnits(ctx context.Context, scope string) ([]domain.OrgUnit, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.id, COALESCE(u.parent_id, ''), u.level, u.name, u.path, u.created_at
		FROM org_units u WHERE $1 = '' OR u.path LIKE (SELECT r.path FROM org_units r WHERE r.id = $1) || '%'
		ORDER BY u.path COLLATE "C"`, scope)
	if err != nil {
		return nil, fmt.Errorf("postgres: list org units: %w", err)
	}
	defer rows.Close()
	out := []domain.OrgUnit{}
	for rows.Next() {
		u, err := scanOrgUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list org units: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list org units: %w", err)
	}
	return out, nil
}

// SiteInScope implements domain.Store.
func (s *Store) SiteInScope(ctx context.Context, scope, site string) (bool, error) {
	if scope == "" {
		return true, nil
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT $2::text IN (SELECT u.id FROM org_units u JOIN org_units r ON u.path LIKE r.path || '%'
		WHERE r.id = $1 AND u.level = 'site')`, scope, site).Scan(&ok); err != nil {
		return false, fmt.Errorf("postgres: site %s in scope %s: %w", site, scope, err)
	}
	return ok, nil
}

// AlertSite implements domain.Store.
func (s *Store) AlertSite(ctx context.Context, alertID string) (string, error) {
	var site string
	err := s.pool.QueryRow(ctx, `SELECT site FROM alerts WHERE id = $1`, alertID).Scan(&site)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: alert %s: %w", alertID, domain.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("postgres: alert %s: %w", alertID, err)
	}
	return site, nil
}

// CreateAPIToken implements domain.Store.
func (s *Store) CreateAPIToken(ctx context.Context, t domain.APIToken, tokenHash string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_tokens (id, name, token_hash, role, scope, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.ID, t.Name, tokenHash, string(t.Role), t.Scope, t.CreatedAt.UTC(), utcPtr(t.ExpiresAt))
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return fmt.Errorf("postgres: create api token %s: %w", t.ID, domain.ErrConflict)
		}
		return fmt.Errorf("postgres: create api token %s: %w", t.ID, err)
	}
	return nil
}

const tokenCols = `id, name, role, scope, created_at, expires_at, revoked_at, last_used_at`

func scanToken(row pgx.Row) (domain.APIToken, error) {
	var t domain.APIToken
	var role string
	err := row.Scan(&t.ID, &t.Name, &role, &t.Scope, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, domain.ErrNotFound
	}
	t.Role = domain.Role(role)
	t.CreatedAt = utc(t.CreatedAt)
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = utcPtr(t.ExpiresAt), utcPtr(t.RevokedAt), utcPtr(t.LastUsedAt)
	return t, err
}

// lastUsedEvery bounds how often a token's last_used_at is written.
const lastUsedEvery = time.Minute

// AuthenticateAPIToken implements domain.Store.
func (s *Store) AuthenticateAPIToken(ctx context.Context, tokenHash string, now time.Time) (domain.APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE token_hash = $1`, tokenHash))
	switch {
	case err != nil:
		return t, fmt.Errorf("postgres: authenticate api token: %w", err)
	case t.RevokedAt != nil:
		return t, fmt.Errorf("postgres: api token %s: %w", t.ID, domain.ErrRevoked)
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return t, fmt.Errorf("postgres: api token %s: %w", t.ID, domain.ErrTokenExpired)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedEvery {
		u := now.UTC().Truncate(time.Microsecond)
		if _, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, u, t.ID); err != nil {
			return t, fmt.Errorf("postgres: api token %s: last used: %w", t.ID, err)
		}
		t.LastUsedAt = &u
	}
	return t, nil
}

// ListAPITokens implements domain.Store.
func (s *Store) ListAPITokens(ctx context.Context) ([]domain.APIToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list api tokens: %w", err)
	}
	defer rows.Close()
	out := []domain.APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list api tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list api tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken implements domain.Store.
func (s *Store) RevokeAPIToken(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, at.UTC(), id)
	if err != nil {
		return fmt.Errorf("postgres: revoke api token %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: revoke api token %s: %w", id, domain.ErrNotFound)
	}
	return nil
}
