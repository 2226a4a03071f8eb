package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// recordPresence appends a presence change of gw and drops its changes
// beyond domain.PresenceKeep. Callers record a change where they change
// the online flag, in the same transaction; a change recorded twice by
// concurrent transactions is merged when read (GatewayPresence).
func (s *Store) recordPresence(ctx context.Context, c Conn, gw string, at time.Time, online bool, cause string) error {
	return s.recordPresenceAt(ctx, c, gw, s.D.T(at), online, cause)
}

// recordPresenceAt is recordPresence with the time already encoded.
func (s *Store) recordPresenceAt(ctx context.Context, c Conn, gw string, at any, online bool, cause string) error {
	if _, err := c.Exec(ctx, `INSERT INTO gateway_presence (gw, at, online, cause) VALUES (?, ?, ?, ?)`, gw, at, online, cause); err != nil {
		return s.errf("presence %s: %w", gw, err)
	}
	if _, err := c.Exec(ctx, `DELETE FROM gateway_presence WHERE gw = ?1 AND id <= (SELECT id FROM gateway_presence
		WHERE gw = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)`, gw, domain.PresenceKeep); err != nil {
		return s.errf("presence %s: prune: %w", gw, err)
	}
	return nil
}

// BatchPresence records the presence changes of a batch of each of the
// gateways gws (sorted, distinct) received at rat (encoded): of each
// gateway the batch brings online, one it finds offline with its last
// state before the batch (the rule of the gateway row's update in
// IngestBatches, which runs after it in the same transaction). A constant
// number of statements whatever the count of gateways (one per chunk of
// Dialect.InChunks): the changes are inserted by one INSERT … SELECT over
// the gateway rows, and only a gateway that changed has its old changes
// pruned.
func (s *Store) BatchPresence(ctx context.Context, c Conn, gws []string, rat any) error {
	for chunk := range s.D.InChunks(gws) {
		in, args := s.D.In("id", chunk)
		rows, err := c.Query(ctx, `INSERT INTO gateway_presence (gw, at, online, cause)
			SELECT id, ?, ?, ? FROM gateways WHERE `+in+` AND online = ? AND (state_at IS NULL OR state_at < ?)
			ORDER BY id RETURNING gw`, append(append([]any{rat, true, domain.PresenceBatch}, args...), false, rat)...)
		if err != nil {
			return s.errf("ingest: presence: %w", err)
		}
		var back []string
		for rows.Next() {
			var gw string
			if err := rows.Scan(&gw); err != nil {
				rows.Close()
				return s.errf("ingest: presence: %w", err)
			}
			back = append(back, gw)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.errf("ingest: presence: %w", err)
		}
		if len(back) == 0 {
			continue
		}
		if err := s.prunePresence(ctx, c, back); err != nil {
			return err
		}
	}
	return nil
}

// prunePresence drops the presence changes of the gateways gws beyond
// the newest domain.PresenceKeep of each, with one statement.
func (s *Store) prunePresence(ctx context.Context, c Conn, gws []string) error {
	in, args := s.D.In("gw", gws)
	if _, err := c.Exec(ctx, `DELETE FROM gateway_presence WHERE id IN (SELECT id FROM (
			SELECT id, row_number() OVER (PARTITION BY gw ORDER BY id DESC) AS n FROM gateway_presence WHERE `+in+`) r
		WHERE n > ?)`, append(args, domain.PresenceKeep)...); err != nil {
		return s.errf("presence: prune: %w", err)
	}
	return nil
}

// GatewayPresence implements domain.GatewayStore.
func (s *Store) GatewayPresence(ctx context.Context, gw string, from, to time.Time) ([]domain.PresenceChange, error) {
	scan := func(r *sql.Rows) (domain.PresenceChange, error) {
		var p domain.PresenceChange
		var id int64
		err := r.Scan(&id, Time(&p.At), &p.Online, &p.Cause)
		return p, err
	}
	// The newest ListLimit rows of the range, and the one before it.
	rows, err := queryAll(ctx, s.Conn(), scan, `SELECT id, at, online, cause FROM (
			SELECT id, at, online, cause FROM gateway_presence WHERE gw = ?1 AND at >= ?2 AND at < ?3 ORDER BY id DESC LIMIT ?4) r
		UNION ALL SELECT id, at, online, cause FROM (
			SELECT id, at, online, cause FROM gateway_presence WHERE gw = ?1 AND at < ?2 ORDER BY id DESC LIMIT 1) b
		ORDER BY id`, gw, s.D.T(from), s.D.T(to), domain.ListLimit)
	if err != nil {
		return nil, s.errf("presence %s: %w", gw, err)
	}
	out := rows[:0]
	for _, p := range rows {
		if len(out) > 0 && out[len(out)-1].Online == p.Online {
			continue // the same state recorded twice
		}
		out = append(out, p)
	}
	return out, nil
}

// Gateway implements domain.GatewayStore.
func (s *Store) Gateway(ctx context.Context, id string) (domain.Gateway, error) {
	gs, err := queryAll(ctx, s.Conn(), scanGateway, `SELECT `+gatewayCols+` FROM gateways g WHERE g.id = ?`, id)
	if err != nil {
		return domain.Gateway{}, s.errf("gateway %s: %w", id, err)
	}
	if len(gs) == 0 {
		return domain.Gateway{}, s.errf("gateway %s: %w", id, domain.ErrNotFound)
	}
	return gs[0], nil
}

// LastHeartbeat implements domain.GatewayStore.
func (s *Store) LastHeartbeat(ctx context.Context, gw string) (*domain.Heartbeat, error) {
	var h domain.Heartbeat
	var data string
	err := s.Conn().Row(ctx, `SELECT id, at, received_at, clock, data FROM events
		WHERE gw = ? AND kind = 'heartbeat' ORDER BY boot DESC, seq DESC LIMIT 1`, gw).
		Scan(&h.EventID, Time(&h.At), Time(&h.ReceivedAt), &h.Clock, &data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, s.errf("last heartbeat %s: %w", gw, err)
	}
	h.Data = []byte(data)
	return &h, nil
}

// DesiredConfigBySHA implements domain.GatewayStore.
func (s *Store) DesiredConfigBySHA(ctx context.Context, gw, sha string) (domain.DesiredConfig, error) {
	var d domain.DesiredConfig
	err := s.Conn().Row(ctx, `SELECT `+desiredCols+` FROM desired_configs WHERE gw = ? AND sha256 = ? ORDER BY version DESC LIMIT 1`, gw, sha).
		Scan(&d.GW, &d.Version, &d.SHA256, &d.Body, &d.SetBy, Time(&d.SetAt), &d.CommandID, &d.ResultOK, &d.ResultError, NullTime(&d.ResultAt))
	if err != nil {
		return d, s.errf("desired config %s %s: %w", gw, sha, notFound(err))
	}
	return d, nil
}

// ReenrollGateway implements domain.GatewayStore.
func (s *Store) ReenrollGateway(ctx context.Context, id, tokenHash string, at, expiresAt time.Time) error {
	return s.inTx(ctx, "re-enroll "+id, func(tx *Tx) error {
		n, err := tx.Affected(ctx, `UPDATE gateways SET secret_hash = '', revoked_at = NULL WHERE id = ?`, id)
		if err != nil {
			return s.errf("re-enroll %s: %w", id, err)
		}
		if n == 0 {
			return s.errf("re-enroll %s: %w", id, domain.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `UPDATE enrollment_tokens SET expires_at = ? WHERE gw = ? AND used_at IS NULL AND expires_at > ?`,
			s.D.T(at), id, s.D.T(at)); err != nil {
			return s.errf("re-enroll %s: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO enrollment_tokens (token_hash, gw, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			tokenHash, id, s.D.T(at), s.D.T(expiresAt)); err != nil {
			return s.errf("re-enroll %s: %w", id, err)
		}
		return nil
	})
}

// CreateEnrollments implements domain.GatewayStore.
func (s *Store) CreateEnrollments(ctx context.Context, gs []domain.NewGateway, createdAt, expiresAt time.Time) error {
	return s.inTx(ctx, "create enrollments", func(tx *Tx) error {
		for _, g := range gs {
			if _, err := tx.Exec(ctx, `INSERT INTO gateways (id, site, name, secret_hash, created_at) VALUES (?, ?, ?, '', ?)`,
				g.ID, g.Site, s.D.S(g.Name), s.D.T(createdAt)); err != nil {
				if s.D.IsUnique(err) {
					return s.errf("create enrollment %s: gateway exists: %w", g.ID, domain.ErrConflict)
				}
				return s.errf("create enrollment %s: %w", g.ID, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO enrollment_tokens (token_hash, gw, created_at, expires_at) VALUES (?, ?, ?, ?)`,
				g.TokenHash, g.ID, s.D.T(createdAt), s.D.T(expiresAt)); err != nil {
				return s.errf("create enrollment %s: %w", g.ID, err)
			}
		}
		return nil
	})
}
