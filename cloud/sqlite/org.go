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

// scopeSites is a subquery of the site units in the subtree of the org
// unit bound to its one parameter.
const scopeSites = `SELECT u.id FROM org_units u JOIN org_units r ON u.path LIKE r.path || '%'
	WHERE r.id = ? AND u.level = 'site'`

// inScope is the condition of the List queries that keeps rows whose
// site column col is a site in the subtree of the scope bound to ?1
// (every row when ?1 is empty). Ids are [a-z0-9-], so LIKE needs no escaping.
func inScope(col string) string {
	return `(?1 = '' OR ` + col + ` IN (SELECT u.id FROM org_units u JOIN org_units r ON u.path LIKE r.path || '%'
		WHERE r.id = ?1 AND u.level = 'site'))`
}

// CreateOrgUnit implements domain.Store.
func (s *Store) CreateOrgUnit(ctx context.Context, u domain.OrgUnit, at time.Time) (domain.OrgUnit, error) {
	if err := domain.ValidateOrgUnit(u); err != nil {
		return u, fmt.Errorf("sqlite: create org unit: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return u, fmt.Errorf("sqlite: create org unit %s: %w", u.ID, err)
	}
	defer tx.Rollback()
	var parent *domain.OrgUnit
	if u.ParentID != "" {
		p, err := scanOrgUnit(tx.QueryRowContext(ctx, `SELECT id, COALESCE(parent_id, ''), level, name, path, created_at
			FROM org_units WHERE id = ?`, u.ParentID))
		if err != nil {
			return u, fmt.Errorf("sqlite: create org unit %s: parent %s: %w", u.ID, u.ParentID, err)
		}
		parent = &p
	}
	if u.Path, err = domain.CheckParent(u, parent); err != nil {
		return u, fmt.Errorf("sqlite: create org unit %s: %w", u.ID, err)
	}
	u.CreatedAt = at.UTC()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM org_units WHERE id = ?`, u.ID).Scan(&n); err != nil {
		return u, fmt.Errorf("sqlite: create org unit %s: %w", u.ID, err)
	}
	if n > 0 {
		return u, fmt.Errorf("sqlite: create org unit %s: id exists: %w", u.ID, domain.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO org_units (id, parent_id, level, name, path, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, u.ID, orgParent(u.ParentID), u.Level, u.Name, u.Path, ts(u.CreatedAt)); err != nil {
		return u, fmt.Errorf("sqlite: create org unit %s: %w", u.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return u, fmt.Errorf("sqlite: create org unit %s: %w", u.ID, err)
	}
	return u, nil
}

func orgParent(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type orgRow interface{ Scan(dest ...any) error }

func scanOrgUnit(row orgRow) (domain.OrgUnit, error) {
	var u domain.OrgUnit
	var at string
	err := row.Scan(&u.ID, &u.ParentID, &u.Level, &u.Name, &u.Path, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return u, domain.ErrNotFound
	}
	if err != nil {
		return u, err
	}
	u.CreatedAt, err = parseTS(at)
	return u, err
}

// OrgUnit implements domain.Store.
func (s *Store) OrgUnit(ctx context.Context, id string) (domain.OrgUnit, error) {
	u, err := scanOrgUnit(s.db.QueryRowContext(ctx, `SELECT id, COALESCE(parent_id, ''), level, name, path, created_at
		FROM org_units WHERE id = ?`, id))
	if err != nil {
		return u, fmt.Errorf("sqlite: org unit %s: %w", id, err)
	}
	return u, nil
}

// ListOrgUnits implements domain.Store.
func (s *Store) ListOrgUnits(ctx context.Context, scope string) ([]domain.OrgUnit, error) {
	q := `SELECT u.id, COALESCE(u.parent_id, ''), u.level, u.name, u.path, u.created_at FROM org_units u`
	var args []any
	if scope != "" {
		q += ` JOIN org_units r ON u.path LIKE r.path || '%' WHERE r.id = ?`
		args = append(args, scope)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY u.path`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list org units: %w", err)
	}
	defer rows.Close()
	out := []domain.OrgUnit{}
	for rows.Next() {
		u, err := scanOrgUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list org units: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list org units: %w", err)
	}
	return out, nil
}

// SiteInScope implements domain.Store.
func (s *Store) SiteInScope(ctx context.Context, scope, site string) (bool, error) {
	if scope == "" {
		return true, nil
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (`+scopeSites+`) WHERE id = ?`, scope, site).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: site %s in scope %s: %w", site, scope, err)
	}
	return n > 0, nil
}

// AlertSite implements domain.Store.
func (s *Store) AlertSite(ctx context.Context, alertID string) (string, error) {
	var site string
	err := s.db.QueryRowContext(ctx, `SELECT site FROM alerts WHERE id = ?`, alertID).Scan(&site)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: alert %s: %w", alertID, domain.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: alert %s: %w", alertID, err)
	}
	return site, nil
}

// CreateAPIToken implements domain.Store.
func (s *Store) CreateAPIToken(ctx context.Context, t domain.APIToken, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_tokens (id, name, token_hash, role, scope, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, t.ID, t.Name, tokenHash, string(t.Role), t.Scope, ts(t.CreatedAt), nullTS(t.ExpiresAt))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("sqlite: create api token %s: %w", t.ID, domain.ErrConflict)
		}
		return fmt.Errorf("sqlite: create api token %s: %w", t.ID, err)
	}
	return nil
}

const tokenCols = `id, name, role, scope, created_at, expires_at, revoked_at, last_used_at`

func scanToken(row orgRow) (domain.APIToken, error) {
	var t domain.APIToken
	var role, created string
	var exp, rev, used sql.NullString
	err := row.Scan(&t.ID, &t.Name, &role, &t.Scope, &created, &exp, &rev, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return t, domain.ErrNotFound
	}
	if err != nil {
		return t, err
	}
	t.Role = domain.Role(role)
	if t.CreatedAt, err = parseTS(created); err != nil {
		return t, err
	}
	if t.ExpiresAt, err = parseNullTS(exp); err != nil {
		return t, err
	}
	if t.RevokedAt, err = parseNullTS(rev); err != nil {
		return t, err
	}
	t.LastUsedAt, err = parseNullTS(used)
	return t, err
}

// lastUsedEvery bounds how often a token's last_used_at is written.
const lastUsedEvery = time.Minute

// AuthenticateAPIToken implements domain.Store.
func (s *Store) AuthenticateAPIToken(ctx context.Context, tokenHash string, now time.Time) (domain.APIToken, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE token_hash = ?`, tokenHash))
	switch {
	case err != nil:
		return t, fmt.Errorf("sqlite: authenticate api token: %w", err)
	case t.RevokedAt != nil:
		return t, fmt.Errorf("sqlite: api token %s: %w", t.ID, domain.ErrRevoked)
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return t, fmt.Errorf("sqlite: api token %s: %w", t.ID, domain.ErrTokenExpired)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedEvery {
		if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, ts(now), t.ID); err != nil {
			return t, fmt.Errorf("sqlite: api token %s: last used: %w", t.ID, err)
		}
		u := now.UTC()
		t.LastUsedAt = &u
	}
	return t, nil
}

// ListAPITokens implements domain.Store.
func (s *Store) ListAPITokens(ctx context.Context) ([]domain.APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list api tokens: %w", err)
	}
	defer rows.Close()
	out := []domain.APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list api tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list api tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken implements domain.Store.
func (s *Store) RevokeAPIToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ts(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: revoke api token %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: revoke api token %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: revoke api token %s: %w", id, domain.ErrNotFound)
	}
	return nil
}
