package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

const orgCols = `u.id, COALESCE(u.parent_id, ''), u.level, u.name, u.path, u.code, u.created_at`

func scanOrgUnit(r rowScanner) (domain.OrgUnit, error) {
	var u domain.OrgUnit
	err := r.Scan(&u.ID, &u.ParentID, &u.Level, &u.Name, &u.Path, &u.Code, Time(&u.CreatedAt))
	return u, notFound(err)
}

// CreateOrgUnit implements domain.Store (rules: domain.ValidateOrgUnit,
// domain.CheckParent).
func (s *Store) CreateOrgUnit(ctx context.Context, u domain.OrgUnit, at time.Time) (domain.OrgUnit, error) {
	if err := domain.ValidateOrgUnit(u); err != nil {
		return u, s.errf("create org unit: %w", err)
	}
	err := s.inTx(ctx, "create org unit "+u.ID, func(tx *Tx) error {
		var parent *domain.OrgUnit
		if u.ParentID != "" {
			p, err := scanOrgUnit(tx.Row(ctx, `SELECT `+orgCols+` FROM org_units u WHERE u.id = ?`, u.ParentID))
			if err != nil {
				return s.errf("create org unit %s: parent %s: %w", u.ID, u.ParentID, err)
			}
			parent = &p
		}
		var err error
		if u.Path, err = domain.CheckParent(u, parent); err != nil {
			return s.errf("create org unit %s: %w", u.ID, err)
		}
		if u.Code != "" {
			if err := tx.lock(ctx, "org-codes"); err != nil { // one writer of codes at a time: chains stay consistent
				return s.errf("create org unit %s: %w", u.ID, err)
			}
			chain, err := s.orgChain(ctx, tx, u.Path, false)
			if err != nil {
				return s.errf("create org unit %s: %w", u.ID, err)
			}
			if err := domain.CheckOrgCodes(append(chain, u)); err != nil {
				return s.errf("create org unit %s: %w", u.ID, err)
			}
		}
		u.CreatedAt = at.UTC().Truncate(s.D.Precision)
		var n int
		if err := tx.Row(ctx, `SELECT count(*) FROM org_units WHERE id = ?`, u.ID).Scan(&n); err != nil {
			return s.errf("create org unit %s: %w", u.ID, err)
		}
		if n > 0 {
			return s.errf("create org unit %s: id exists: %w", u.ID, domain.ErrConflict)
		}
		var parentID any // NULL for a district
		if u.ParentID != "" {
			parentID = u.ParentID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO org_units (id, parent_id, level, name, path, code, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, parentID, u.Level, s.D.S(u.Name), u.Path, u.Code, s.D.T(u.CreatedAt)); err != nil {
			if s.D.IsUnique(err) {
				return s.errf("create org unit %s: id exists: %w", u.ID, domain.ErrConflict)
			}
			return s.errf("create org unit %s: %w", u.ID, err)
		}
		return nil
	})
	return u, err
}

// orgChain returns the units on path (its ancestors, and the unit itself
// when it exists) and, with below, the units under it, in path order:
// what domain.CheckOrgCodes reads.
func (s *Store) orgChain(ctx context.Context, tx *Tx, path string, below bool) ([]domain.OrgUnit, error) {
	var ids []any
	ph := ""
	for _, id := range strings.Split(strings.Trim(path, "/"), "/") {
		ids = append(ids, id)
		ph += ",?"
	}
	q := `SELECT ` + orgCols + ` FROM org_units u WHERE u.id IN (` + ph[1:] + `)`
	if below {
		ids = append(ids, path)
		q += ` OR u.path LIKE ? || '%'`
	}
	out, err := queryAll(ctx, tx.Conn, func(r *sql.Rows) (domain.OrgUnit, error) { return scanOrgUnit(r) }, q+` ORDER BY u.path `+s.D.ByteOrder, ids...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateOrgUnit implements domain.OrgStore.
func (s *Store) UpdateOrgUnit(ctx context.Context, id string, ch domain.OrgUnitChange) (domain.OrgUnit, error) {
	var u domain.OrgUnit
	err := s.inTx(ctx, "update org unit "+id, func(tx *Tx) error {
		if err := tx.lock(ctx, "org-codes"); err != nil {
			return s.errf("update org unit %s: %w", id, err)
		}
		var err error
		u, err = scanOrgUnit(tx.Row(ctx, `SELECT `+orgCols+` FROM org_units u WHERE u.id = ?`+s.D.forUpdate("u"), id))
		if err != nil {
			return s.errf("update org unit %s: %w", id, err)
		}
		if ch.Name != nil {
			u.Name = strings.TrimSpace(*ch.Name)
		}
		if ch.Code != nil {
			u.Code = *ch.Code
		}
		if err := domain.ValidateOrgUnit(u); err != nil {
			return s.errf("update org unit %s: %w", id, err)
		}
		chain, err := s.orgChain(ctx, tx, u.Path, true)
		if err != nil {
			return s.errf("update org unit %s: %w", id, err)
		}
		for i := range chain {
			if chain[i].ID == u.ID {
				chain[i] = u
			}
		}
		if err := domain.CheckOrgCodes(chain); err != nil {
			return s.errf("update org unit %s: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE org_units SET name = ?, code = ? WHERE id = ?`, s.D.S(u.Name), u.Code, id); err != nil {
			return s.errf("update org unit %s: %w", id, err)
		}
		return nil
	})
	return u, err
}

// OrgUnit implements domain.Store.
func (s *Store) OrgUnit(ctx context.Context, id string) (domain.OrgUnit, error) {
	u, err := scanOrgUnit(s.Conn().Row(ctx, `SELECT `+orgCols+` FROM org_units u WHERE u.id = ?`, id))
	if err != nil {
		return u, s.errf("org unit %s: %w", id, err)
	}
	return u, nil
}

// ListOrgUnits implements domain.Store.
func (s *Store) ListOrgUnits(ctx context.Context, scope string) ([]domain.OrgUnit, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.OrgUnit, error) { return scanOrgUnit(r) },
		`SELECT `+orgCols+` FROM org_units u
		WHERE ?1 = '' OR u.path LIKE (SELECT r.path FROM org_units r WHERE r.id = ?1) || '%'
		ORDER BY u.path `+s.D.ByteOrder, scope)
	if err != nil {
		return nil, s.errf("list org units: %w", err)
	}
	return out, nil
}

// SiteInScope implements domain.Store.
func (s *Store) SiteInScope(ctx context.Context, scope, site string) (bool, error) {
	if scope == "" {
		return true, nil
	}
	var n int
	if err := s.Conn().Row(ctx, `SELECT count(*) FROM org_units u JOIN org_units r ON u.path LIKE r.path || '%'
		WHERE r.id = ? AND u.level = 'site' AND u.id = ?`, scope, site).Scan(&n); err != nil {
		return false, s.errf("site %s in scope %s: %w", site, scope, err)
	}
	return n > 0, nil
}

// AlertSite implements domain.Store.
func (s *Store) AlertSite(ctx context.Context, alertID string) (string, error) {
	var site string
	if err := s.Conn().Row(ctx, `SELECT site FROM alerts WHERE id = ?`, alertID).Scan(&site); err != nil {
		return "", s.errf("alert %s: %w", alertID, notFound(err))
	}
	return site, nil
}

// CreateAPIToken implements domain.Store.
func (s *Store) CreateAPIToken(ctx context.Context, t domain.APIToken, tokenHash string) error {
	_, err := s.Conn().Exec(ctx, `INSERT INTO api_tokens (id, name, token_hash, role, scope, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, t.ID, s.D.S(t.Name), tokenHash, string(t.Role), t.Scope, s.D.T(t.CreatedAt), s.D.NT(t.ExpiresAt))
	if err != nil && s.D.IsUnique(err) {
		return s.errf("create api token %s: %w", t.ID, domain.ErrConflict)
	}
	if err != nil {
		return s.errf("create api token %s: %w", t.ID, err)
	}
	return nil
}

const tokenCols = `id, name, role, scope, created_at, expires_at, revoked_at, last_used_at`

func scanToken(r rowScanner) (domain.APIToken, error) {
	var t domain.APIToken
	var role string
	err := r.Scan(&t.ID, &t.Name, &role, &t.Scope, Time(&t.CreatedAt), NullTime(&t.ExpiresAt), NullTime(&t.RevokedAt), NullTime(&t.LastUsedAt))
	t.Role = domain.Role(role)
	return t, notFound(err)
}

// lastUsedEvery bounds how often a token's last_used_at is written.
const lastUsedEvery = time.Minute

// AuthenticateAPIToken implements domain.Store.
func (s *Store) AuthenticateAPIToken(ctx context.Context, tokenHash string, now time.Time) (domain.APIToken, error) {
	t, err := scanToken(s.Conn().Row(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE token_hash = ?`, tokenHash))
	switch {
	case err != nil:
		return t, s.errf("authenticate api token: %w", err)
	case t.RevokedAt != nil:
		return t, s.errf("api token %s: %w", t.ID, domain.ErrRevoked)
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return t, s.errf("api token %s: %w", t.ID, domain.ErrTokenExpired)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedEvery {
		u := now.UTC().Truncate(s.D.Precision)
		if _, err := s.Conn().Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, s.D.T(u), t.ID); err != nil {
			return t, s.errf("api token %s: last used: %w", t.ID, err)
		}
		t.LastUsedAt = &u
	}
	return t, nil
}

// ListAPITokens implements domain.Store.
func (s *Store) ListAPITokens(ctx context.Context) ([]domain.APIToken, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.APIToken, error) { return scanToken(r) },
		`SELECT `+tokenCols+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, s.errf("list api tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken implements domain.Store.
func (s *Store) RevokeAPIToken(ctx context.Context, id string, at time.Time) error {
	n, err := s.Conn().Affected(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, s.D.T(at), id)
	if err != nil {
		return s.errf("revoke api token %s: %w", id, err)
	}
	if n == 0 {
		return s.errf("revoke api token %s: %w", id, domain.ErrNotFound)
	}
	return nil
}
