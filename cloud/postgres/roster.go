package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/jackc/pgx/v5"
)

type rosterRow struct {
	data    string
	removed bool
}

// ReplaceRoster implements domain.Store.
func (s *Store) ReplaceRoster(ctx context.Context, site string, elders []eldergate.RosterElder, at time.Time) (domain.RosterChange, error) {
	var ch domain.RosterChange
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return ch, fmt.Errorf("postgres: replace roster: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('roster:' || $1, 0))`, site); err != nil {
		return ch, fmt.Errorf("postgres: roster lock of %s: %w", site, err)
	}
	cur, err := siteVersion(ctx, tx, site)
	if err != nil {
		return ch, err
	}
	ch.Previous, ch.Version = cur, cur
	next := cur + 1
	rows, err := tx.Query(ctx, `SELECT elder_id, data, removed FROM roster_elders WHERE site = $1`, site)
	if err != nil {
		return ch, fmt.Errorf("postgres: replace roster: %w", err)
	}
	old := map[string]rosterRow{}
	for rows.Next() {
		var id string
		var r rosterRow
		if err := rows.Scan(&id, &r.data, &r.removed); err != nil {
			rows.Close()
			return ch, fmt.Errorf("postgres: replace roster: %w", err)
		}
		old[id] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ch, fmt.Errorf("postgres: replace roster: %w", err)
	}
	seen := make(map[string]bool, len(elders))
	for _, e := range elders {
		seen[e.ID] = true
		o, ok := old[e.ID]
		if ok && !o.removed {
			var prev eldergate.RosterElder
			if err := json.Unmarshal([]byte(o.data), &prev); err != nil {
				return ch, fmt.Errorf("postgres: replace roster: elder %s: %w", e.ID, err)
			}
			domain.CarryStates(&e, prev)
		}
		b, err := json.Marshal(e)
		if err != nil {
			return ch, fmt.Errorf("postgres: replace roster: %w", err)
		}
		if ok && !o.removed && o.data == string(b) {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO roster_elders (site, elder_id, data, version, removed) VALUES ($1, $2, $3, $4, false)
			ON CONFLICT (site, elder_id) DO UPDATE SET data = excluded.data, version = excluded.version, removed = false`, site, e.ID, string(b), int64(next)); err != nil {
			return ch, fmt.Errorf("postgres: replace roster: elder %s: %w", e.ID, err)
		}
		ch.Upserted++
	}
	for id, o := range old {
		if o.removed || seen[id] {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE roster_elders SET data = '', removed = true, version = $1 WHERE site = $2 AND elder_id = $3`, next, site, id); err != nil {
			return ch, fmt.Errorf("postgres: replace roster: remove %s: %w", id, err)
		}
		ch.Removed++
	}
	if ch.Upserted+ch.Removed > 0 {
		if err := setSiteVersion(ctx, tx, site, next, at); err != nil {
			return ch, err
		}
		ch.Version, ch.Changed = next, true
	}
	ch.Elders = len(elders)
	if err := tx.Commit(ctx); err != nil {
		return ch, fmt.Errorf("postgres: replace roster: %w", err)
	}
	return ch, nil
}

func siteVersion(ctx context.Context, tx pgx.Tx, site string) (uint64, error) {
	var v uint64
	err := tx.QueryRow(ctx, `SELECT version FROM roster_sites WHERE site = $1`, site).Scan(&v)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres: roster version of %s: %w", site, err)
	}
	return v, nil
}

func setSiteVersion(ctx context.Context, tx pgx.Tx, site string, v uint64, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO roster_sites (site, version, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (site) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`, site, v, at.UTC())
	if err != nil {
		return fmt.Errorf("postgres: roster version of %s: %w", site, err)
	}
	return nil
}

// SetCredentialState implements domain.Store.
func (s *Store) SetCredentialState(ctx context.Context, site, elderID string, c eldergate.Credential, at time.Time) (domain.RosterChange, error) {
	var ch domain.RosterChange
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return ch, fmt.Errorf("postgres: credential state: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('roster:' || $1, 0))`, site); err != nil {
		return ch, fmt.Errorf("postgres: roster lock of %s: %w", site, err)
	}
	cur, err := siteVersion(ctx, tx, site)
	if err != nil {
		return ch, err
	}
	ch.Previous, ch.Version = cur, cur
	var data string
	err = tx.QueryRow(ctx, `SELECT data FROM roster_elders WHERE site = $1 AND elder_id = $2 AND removed = false`, site, elderID).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return ch, fmt.Errorf("postgres: credential state: elder %s of %s: %w", elderID, site, domain.ErrNotFound)
	}
	if err != nil {
		return ch, fmt.Errorf("postgres: credential state: %w", err)
	}
	var e eldergate.RosterElder
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return ch, fmt.Errorf("postgres: credential state: elder %s: %w", elderID, err)
	}
	i := credentialIndex(e, c)
	if i < 0 {
		return ch, fmt.Errorf("postgres: credential state: elder %s has no such %s: %w", elderID, c.Kind, domain.ErrNotFound)
	}
	if e.Credentials[i].State == c.State {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM roster_elders WHERE site = $1 AND removed = false`, site).Scan(&ch.Elders); err != nil {
			return ch, fmt.Errorf("postgres: credential state: %w", err)
		}
		return ch, nil
	}
	e.Credentials[i].State = c.State
	b, err := json.Marshal(e)
	if err != nil {
		return ch, fmt.Errorf("postgres: credential state: %w", err)
	}
	next := cur + 1
	if _, err := tx.Exec(ctx, `UPDATE roster_elders SET data = $1, version = $2 WHERE site = $3 AND elder_id = $4`, string(b), next, site, elderID); err != nil {
		return ch, fmt.Errorf("postgres: credential state: %w", err)
	}
	if err := setSiteVersion(ctx, tx, site, next, at); err != nil {
		return ch, err
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM roster_elders WHERE site = $1 AND removed = false`, site).Scan(&ch.Elders); err != nil {
		return ch, fmt.Errorf("postgres: credential state: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return ch, fmt.Errorf("postgres: credential state: %w", err)
	}
	ch.Version, ch.Changed, ch.Upserted = next, true, 1
	return ch, nil
}

func credentialIndex(e eldergate.RosterElder, c eldergate.Credential) int {
	for i, x := range e.Credentials {
		if x.Kind == c.Kind && x.Value == c.Value {
			return i
		}
	}
	return -1
}

// Roster implements domain.Store.
func (s *Store) Roster(ctx context.Context, site string) (uint64, []eldergate.RosterElder, error) {
	// Read in one transaction so that the version matches the elders.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return 0, nil, fmt.Errorf("postgres: roster: %w", err)
	}
	defer tx.Rollback(ctx)
	v, err := siteVersion(ctx, tx, site)
	if err != nil {
		return 0, nil, err
	}
	rows, err := tx.Query(ctx, `SELECT elder_id, data FROM roster_elders WHERE site = $1 AND removed = false ORDER BY elder_id`, site)
	if err != nil {
		return 0, nil, fmt.Errorf("postgres: roster: %w", err)
	}
	defer rows.Close()
	out := []eldergate.RosterElder{}
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			return 0, nil, fmt.Errorf("postgres: roster: %w", err)
		}
		var e eldergate.RosterElder
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return 0, nil, fmt.Errorf("postgres: roster: elder %s: %w", id, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("postgres: roster: %w", err)
	}
	return v, out, nil
}

// RosterDelta implements domain.Store.
func (s *Store) RosterDelta(ctx context.Context, site string, base uint64) (eldergate.RosterUpdate, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return eldergate.RosterUpdate{}, fmt.Errorf("postgres: roster delta: %w", err)
	}
	defer tx.Rollback(ctx)
	cur, err := siteVersion(ctx, tx, site)
	if err != nil {
		return eldergate.RosterUpdate{}, err
	}
	if base == 0 || base > cur {
		return eldergate.RosterUpdate{}, fmt.Errorf("postgres: roster delta of %s from %d (current %d): %w", site, base, cur, domain.ErrNotFound)
	}
	u := eldergate.RosterUpdate{Mode: eldergate.RosterDelta, Version: cur, Base: base}
	rows, err := tx.Query(ctx, `SELECT elder_id, data, removed FROM roster_elders WHERE site = $1 AND version > $2 ORDER BY elder_id`, site, base)
	if err != nil {
		return u, fmt.Errorf("postgres: roster delta: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, data string
		var gone bool
		if err := rows.Scan(&id, &data, &gone); err != nil {
			return u, fmt.Errorf("postgres: roster delta: %w", err)
		}
		if gone {
			u.Remove = append(u.Remove, id)
			continue
		}
		var e eldergate.RosterElder
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return u, fmt.Errorf("postgres: roster delta: elder %s: %w", id, err)
		}
		u.Elders = append(u.Elders, e)
	}
	if err := rows.Err(); err != nil {
		return u, fmt.Errorf("postgres: roster delta: %w", err)
	}
	return u, nil
}

// SiteGateways implements domain.Store.
func (s *Store) SiteGateways(ctx context.Context, site string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM gateways WHERE site = $1 AND revoked_at IS NULL ORDER BY id`, site)
	if err != nil {
		return nil, fmt.Errorf("postgres: gateways of %s: %w", site, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("postgres: gateways of %s: %w", site, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: gateways of %s: %w", site, err)
	}
	return out, nil
}

// NoteRosterCommand implements domain.Store.
func (s *Store) NoteRosterCommand(ctx context.Context, id, gw string, version uint64, at time.Time) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: note roster command: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO roster_commands (id, gw, version, created_at) VALUES ($1, $2, $3, $4)`, id, gw, version, at.UTC()); err != nil {
		return fmt.Errorf("postgres: note roster command %s: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO roster_gateways (gw, queued) VALUES ($1, $2)
		ON CONFLICT (gw) DO UPDATE SET queued = excluded.queued`, gw, version); err != nil {
		return fmt.Errorf("postgres: note roster command %s: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: note roster command %s: %w", id, err)
	}
	return nil
}

// RosterCommand implements domain.Store.
func (s *Store) RosterCommand(ctx context.Context, id string) (uint64, bool, error) {
	var v uint64
	err := s.pool.QueryRow(ctx, `SELECT version FROM roster_commands WHERE id = $1`, id).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("postgres: roster command %s: %w", id, err)
	}
	return v, true, nil
}

// ConfirmGatewayRoster implements domain.Store.
func (s *Store) ConfirmGatewayRoster(ctx context.Context, gw string, version uint64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO roster_gateways (gw, confirmed, confirmed_at) VALUES ($1, $2, $3)
		ON CONFLICT (gw) DO UPDATE SET confirmed = excluded.confirmed, confirmed_at = excluded.confirmed_at
		WHERE excluded.confirmed >= roster_gateways.confirmed`, gw, version, at.UTC())
	if err != nil {
		return fmt.Errorf("postgres: confirm roster of %s: %w", gw, err)
	}
	return nil
}

// ResetGatewayRoster implements domain.Store.
func (s *Store) ResetGatewayRoster(ctx context.Context, gw string, have uint64) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO roster_gateways (gw, queued, confirmed) VALUES ($1, 0, $2)
		ON CONFLICT (gw) DO UPDATE SET queued = 0, confirmed = excluded.confirmed`, gw, have)
	if err != nil {
		return fmt.Errorf("postgres: reset roster of %s: %w", gw, err)
	}
	return nil
}

// GatewayRoster implements domain.Store.
func (s *Store) GatewayRoster(ctx context.Context, gw string) (domain.GatewayRoster, error) {
	g := domain.GatewayRoster{GW: gw}
	err := s.pool.QueryRow(ctx, `SELECT queued, confirmed, confirmed_at FROM roster_gateways WHERE gw = $1`, gw).Scan(&g.Queued, &g.Confirmed, &g.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, nil
	}
	if err != nil {
		return g, fmt.Errorf("postgres: roster of %s: %w", gw, err)
	}
	g.At = utcPtr(g.At)
	return g, nil
}

// CreatePolicy implements domain.Store.
func (s *Store) CreatePolicy(ctx context.Context, p domain.StoredPolicy) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: create policy: %w", err)
	}
	defer tx.Rollback(ctx)
	var sum string
	err = tx.QueryRow(ctx, `SELECT sha256 FROM policies WHERE version = $1`, p.Version).Scan(&sum)
	switch {
	case err == nil && sum == p.SHA256:
		return false, nil
	case err == nil:
		return false, fmt.Errorf("postgres: policy version %s exists with another body: %w", p.Version, domain.ErrConflict)
	case !errors.Is(err, pgx.ErrNoRows):
		return false, fmt.Errorf("postgres: create policy: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO policies (version, name, body, sha256, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.Version, p.Name, p.Body, p.SHA256, p.CreatedAt.UTC(), p.CreatedBy); err != nil {
		return false, fmt.Errorf("postgres: create policy %s: %w", p.Version, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: create policy %s: %w", p.Version, err)
	}
	return true, nil
}

// Policy implements domain.Store.
func (s *Store) Policy(ctx context.Context, version string) (domain.StoredPolicy, error) {
	p := domain.StoredPolicy{Version: version}
	err := s.pool.QueryRow(ctx, `SELECT name, body, sha256, created_at, created_by FROM policies WHERE version = $1`, version).
		Scan(&p.Name, &p.Body, &p.SHA256, &p.CreatedAt, &p.CreatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("postgres: policy %s: %w", version, domain.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("postgres: policy %s: %w", version, err)
	}
	p.CreatedAt = utc(p.CreatedAt)
	return p, nil
}

// ListPolicies implements domain.Store.
func (s *Store) ListPolicies(ctx context.Context) ([]domain.StoredPolicy, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, name, sha256, created_at, created_by FROM policies
		ORDER BY created_at DESC, version DESC LIMIT $1`, domain.ListLimit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list policies: %w", err)
	}
	defer rows.Close()
	out := []domain.StoredPolicy{}
	for rows.Next() {
		var p domain.StoredPolicy
		if err := rows.Scan(&p.Version, &p.Name, &p.SHA256, &p.CreatedAt, &p.CreatedBy); err != nil {
			return nil, fmt.Errorf("postgres: list policies: %w", err)
		}
		p.CreatedAt = utc(p.CreatedAt)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list policies: %w", err)
	}
	return out, nil
}

// AssignPolicy implements domain.Store.
func (s *Store) AssignPolicy(ctx context.Context, site, version string, at time.Time) error {
	res, err := s.pool.Exec(ctx, `INSERT INTO site_policies (site, version, assigned_at)
		SELECT $1::text, version, $2::timestamptz FROM policies WHERE version = $3
		ON CONFLICT (site) DO UPDATE SET version = excluded.version, assigned_at = excluded.assigned_at`, site, at.UTC(), version)
	if err != nil {
		return fmt.Errorf("postgres: assign policy %s to %s: %w", version, site, err)
	}
	if res.RowsAffected() == 0 {
		return fmt.Errorf("postgres: assign policy %s to %s: %w", version, site, domain.ErrNotFound)
	}
	return nil
}

// SitePolicy implements domain.Store.
func (s *Store) SitePolicy(ctx context.Context, site string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT version FROM site_policies WHERE site = $1`, site).Scan(&v)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: policy of %s: %w", site, err)
	}
	return v, nil
}

// ClaimRosterResult implements domain.Store.
func (s *Store) ClaimRosterResult(ctx context.Context, id string) (bool, error) {
	res, err := s.pool.Exec(ctx, `UPDATE roster_commands SET handled = true WHERE id = $1 AND NOT handled`, id)
	if err != nil {
		return false, fmt.Errorf("postgres: claim roster result %s: %w", id, err)
	}
	return res.RowsAffected() == 1, nil
}
