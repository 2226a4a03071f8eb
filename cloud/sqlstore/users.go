package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

const userCols = `u.id, u.login, u.name, u.role, u.scope, u.failed_attempts, u.locked_until, u.must_change_password, u.disabled, u.created_at, u.updated_at`

func scanUser(r rowScanner, extra ...any) (domain.User, error) {
	var u domain.User
	var role string
	dest := append([]any{&u.ID, &u.Login, &u.Name, &role, &u.Scope, &u.FailedAttempts, NullTime(&u.LockedUntil),
		&u.MustChangePassword, &u.Disabled, Time(&u.CreatedAt), Time(&u.UpdatedAt)}, extra...)
	err := r.Scan(dest...)
	u.Role = domain.Role(role)
	return u, notFound(err)
}

// CreateUser implements domain.UserStore (rules: domain.ValidateUser).
func (s *Store) CreateUser(ctx context.Context, u domain.User, passwordHash string) error {
	if err := domain.ValidateUser(u); err != nil {
		return s.errf("create user: %w", err)
	}
	_, err := s.Conn().Exec(ctx, `INSERT INTO users (id, login, name, role, scope, password_hash, must_change_password, disabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Login, s.D.S(u.Name), string(u.Role), u.Scope, passwordHash,
		u.MustChangePassword, u.Disabled, s.D.T(u.CreatedAt), s.D.T(u.CreatedAt))
	if err != nil && s.D.IsUnique(err) {
		return s.errf("create user %s: %w", u.Login, domain.ErrConflict)
	}
	if err != nil {
		return s.errf("create user %s: %w", u.Login, err)
	}
	return nil
}

// User implements domain.UserStore.
func (s *Store) User(ctx context.Context, id string) (domain.User, error) {
	u, err := scanUser(s.Conn().Row(ctx, `SELECT `+userCols+` FROM users u WHERE u.id = ?`, id))
	if err != nil {
		return u, s.errf("user %s: %w", id, err)
	}
	return u, nil
}

// UserByLogin implements domain.UserStore.
func (s *Store) UserByLogin(ctx context.Context, login string) (domain.User, string, error) {
	var hash string
	u, err := scanUser(s.Conn().Row(ctx, `SELECT `+userCols+`, u.password_hash FROM users u WHERE u.login = ?`, login), &hash)
	if err != nil {
		return u, "", s.errf("user %q: %w", login, err)
	}
	return u, hash, nil
}

// ListUsers implements domain.UserStore.
func (s *Store) ListUsers(ctx context.Context) ([]domain.User, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.User, error) { return scanUser(r) },
		`SELECT `+userCols+` FROM users u ORDER BY u.login`)
	if err != nil {
		return nil, s.errf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser implements domain.UserStore; the result must pass
// domain.ValidateUser. Disabling a user ends its sessions.
func (s *Store) UpdateUser(ctx context.Context, id string, ch domain.UserChange, at time.Time) (domain.User, error) {
	var u domain.User
	err := s.inTx(ctx, "update user "+id, func(tx *Tx) error {
		var err error
		if u, err = scanUser(tx.Row(ctx, `SELECT `+userCols+` FROM users u WHERE u.id = ?`+s.D.forUpdate("u"), id)); err != nil {
			return err
		}
		if ch.Name != nil {
			u.Name = *ch.Name
		}
		if ch.Role != nil {
			u.Role = *ch.Role
		}
		if ch.Scope != nil {
			u.Scope = *ch.Scope
		}
		if ch.Disabled != nil {
			u.Disabled = *ch.Disabled
		}
		if err := domain.ValidateUser(u); err != nil {
			return err
		}
		u.UpdatedAt = at.UTC().Truncate(s.D.Precision)
		if _, err := tx.Exec(ctx, `UPDATE users SET name = ?, role = ?, scope = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			s.D.S(u.Name), string(u.Role), u.Scope, u.Disabled, s.D.T(u.UpdatedAt), id); err != nil {
			return err
		}
		if u.Disabled {
			_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
		}
		return err
	})
	if err != nil {
		return u, s.errf("update user %s: %w", id, err)
	}
	return u, nil
}

// SetPassword implements domain.UserStore.
func (s *Store) SetPassword(ctx context.Context, id, passwordHash string, mustChange bool, keepSession string, at time.Time) error {
	err := s.inTx(ctx, "set password "+id, func(tx *Tx) error {
		n, err := tx.Affected(ctx, `UPDATE users SET password_hash = ?, must_change_password = ?, failed_attempts = 0,
			locked_until = NULL, updated_at = ? WHERE id = ?`, passwordHash, mustChange, s.D.T(at), id)
		if err != nil {
			return err
		}
		if n == 0 {
			return domain.ErrNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?`, id, keepSession)
		return err
	})
	if err != nil {
		return s.errf("set password of %s: %w", id, err)
	}
	return nil
}

// LoginFailed implements domain.UserStore: one statement, so that two
// wrong passwords at once are both counted.
func (s *Store) LoginFailed(ctx context.Context, id string, at time.Time, maxFailures int, lockFor time.Duration) (domain.User, error) {
	n, err := s.Conn().Affected(ctx, `UPDATE users SET
		locked_until = CASE WHEN failed_attempts + 1 >= ?1 THEN ?2 ELSE locked_until END,
		failed_attempts = CASE WHEN failed_attempts + 1 >= ?1 THEN 0 ELSE failed_attempts + 1 END,
		updated_at = ?3 WHERE id = ?4`, maxFailures, s.D.T(at.Add(lockFor)), s.D.T(at), id)
	if err == nil && n == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return domain.User{}, s.errf("login failed of %s: %w", id, err)
	}
	return s.User(ctx, id)
}

// LoginSucceeded implements domain.UserStore.
func (s *Store) LoginSucceeded(ctx context.Context, id string, at time.Time) error {
	if _, err := s.Conn().Exec(ctx, `UPDATE users SET failed_attempts = 0 WHERE id = ? AND failed_attempts <> 0`, id); err != nil {
		return s.errf("login of %s: %w", id, err)
	}
	return nil
}

// UnlockUser implements domain.UserStore.
func (s *Store) UnlockUser(ctx context.Context, id string, at time.Time) error {
	n, err := s.Conn().Affected(ctx, `UPDATE users SET failed_attempts = 0, locked_until = NULL, updated_at = ? WHERE id = ?`, s.D.T(at), id)
	if err == nil && n == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return s.errf("unlock user %s: %w", id, err)
	}
	return nil
}

// CreateSession implements domain.UserStore.
func (s *Store) CreateSession(ctx context.Context, ss domain.Session) error {
	_, err := s.Conn().Exec(ctx, `INSERT INTO sessions (id_hash, user_id, csrf, created_at, last_seen_at, expires_at, remote_addr)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, ss.IDHash, ss.UserID, ss.CSRF, s.D.T(ss.CreatedAt), s.D.T(ss.LastSeenAt), s.D.T(ss.ExpiresAt), ss.RemoteAddr)
	if err != nil {
		return s.errf("create session of %s: %w", ss.UserID, err)
	}
	return nil
}

// sessionSeenEvery bounds how often a session's last_seen_at is written.
const sessionSeenEvery = time.Minute

// Session implements domain.UserStore.
func (s *Store) Session(ctx context.Context, idHash string, now time.Time, idle time.Duration) (domain.Session, domain.User, error) {
	var ss domain.Session
	u, err := scanUser(s.Conn().Row(ctx, `SELECT `+userCols+`, x.id_hash, x.user_id, x.csrf, x.created_at, x.last_seen_at, x.expires_at, x.remote_addr
		FROM sessions x JOIN users u ON u.id = x.user_id WHERE x.id_hash = ?`, idHash),
		&ss.IDHash, &ss.UserID, &ss.CSRF, Time(&ss.CreatedAt), Time(&ss.LastSeenAt), Time(&ss.ExpiresAt), &ss.RemoteAddr)
	if err != nil {
		return ss, u, s.errf("session: %w", err)
	}
	if !now.Before(ss.ExpiresAt) || now.Sub(ss.LastSeenAt) >= idle {
		if err := s.DeleteSession(ctx, idHash); err != nil {
			return ss, u, err
		}
		return ss, u, s.errf("session of %s: expired: %w", ss.UserID, domain.ErrNotFound)
	}
	if now.Sub(ss.LastSeenAt) >= sessionSeenEvery {
		seen := now.UTC().Truncate(s.D.Precision)
		if _, err := s.Conn().Exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, s.D.T(seen), idHash); err != nil {
			return ss, u, s.errf("session of %s: last seen: %w", ss.UserID, err)
		}
		ss.LastSeenAt = seen
	}
	return ss, u, nil
}

// DeleteSession implements domain.UserStore.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.Conn().Exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return s.errf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions implements domain.UserStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	if _, err := s.Conn().Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return s.errf("delete sessions of %s: %w", userID, err)
	}
	return nil
}
