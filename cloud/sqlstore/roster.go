package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

type rosterRow struct {
	data    string
	removed bool
}

// changeRoster runs f in a transaction that holds the lock of site's
// roster (serialising its writers and its version), with ch's versions
// set to the current one (cur).
func (s *Store) changeRoster(ctx context.Context, op, site string, ch *domain.RosterChange, f func(tx *Tx, cur uint64) error) error {
	return s.inTx(ctx, op, func(tx *Tx) error {
		if err := tx.lock(ctx, "roster:"+site); err != nil {
			return s.errf("roster lock of %s: %w", site, err)
		}
		cur, err := s.siteVersion(ctx, tx, site)
		if err != nil {
			return err
		}
		ch.Previous, ch.Version = cur, cur
		return f(tx, cur)
	})
}

// ReplaceRoster implements domain.Store. An elder whose stored row is the
// same (after domain.CarryStates) is not rewritten, so the version moves
// only when something changed.
func (s *Store) ReplaceRoster(ctx context.Context, site string, elders []eldergate.RosterElder, at time.Time) (domain.RosterChange, error) {
	return s.replaceRoster(ctx, site, nil, elders, at)
}

// ReplaceRosterFrom implements domain.Store: the version is checked under
// the roster's lock, so no change slips between the check and the write.
func (s *Store) ReplaceRosterFrom(ctx context.Context, site string, base uint64, elders []eldergate.RosterElder, at time.Time) (domain.RosterChange, error) {
	return s.replaceRoster(ctx, site, &base, elders, at)
}

func (s *Store) replaceRoster(ctx context.Context, site string, base *uint64, elders []eldergate.RosterElder, at time.Time) (domain.RosterChange, error) {
	var ch domain.RosterChange
	err := s.changeRoster(ctx, "replace roster", site, &ch, func(tx *Tx, cur uint64) error {
		if base != nil && *base != cur {
			return s.errf("replace roster of %s: version %d, not %d: %w", site, cur, *base, domain.ErrConflict)
		}
		next := cur + 1
		old := map[string]rosterRow{}
		rows, err := tx.Query(ctx, `SELECT elder_id, data, removed FROM roster_elders WHERE site = ?`, site)
		if err != nil {
			return s.errf("replace roster: %w", err)
		}
		for rows.Next() {
			var id string
			var r rosterRow
			if err := rows.Scan(&id, &r.data, &r.removed); err != nil {
				rows.Close()
				return s.errf("replace roster: %w", err)
			}
			old[id] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.errf("replace roster: %w", err)
		}
		seen := make(map[string]bool, len(elders))
		var hist []rosterHistory
		var upserts []any // site, elder_id, data, version, removed of each elder written
		for _, e := range elders {
			seen[e.ID] = true
			o, ok := old[e.ID]
			live := ok && !o.removed
			var prev eldergate.RosterElder
			if live {
				if err := json.Unmarshal([]byte(o.data), &prev); err != nil {
					return s.errf("replace roster: elder %s: %w", e.ID, err)
				}
				domain.CarryStates(&e, prev)
			}
			b, err := json.Marshal(e)
			if err != nil {
				return s.errf("replace roster: %w", err)
			}
			if live && o.data == string(b) {
				continue
			}
			if ok && o.removed {
				hist = append(hist, rosterHistory{elder: e.ID, what: domain.RosterRestored, name: e.Name})
			}
			hist = append(hist, credentialHistory(prev, e)...)
			upserts = append(upserts, site, e.ID, string(b), int64(next), false)
			ch.Upserted++
		}
		// One statement per 100 elders: a roster of 100,000 is 1,000
		// statements, not 100,000 (BenchmarkRosterImport100k).
		if err := s.insertRows(ctx, tx.Conn, `INSERT INTO roster_elders (site, elder_id, data, version, removed) VALUES `, 5, upserts,
			` ON CONFLICT (site, elder_id) DO UPDATE SET data = excluded.data, version = excluded.version, removed = false`); err != nil {
			return s.errf("replace roster: %w", err)
		}
		for id, o := range old {
			if o.removed || seen[id] {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE roster_elders SET data = '', removed = true, version = ? WHERE site = ? AND elder_id = ?`,
				int64(next), site, id); err != nil {
				return s.errf("replace roster: remove %s: %w", id, err)
			}
			var prev eldergate.RosterElder
			_ = json.Unmarshal([]byte(o.data), &prev) // the name, when the row holds one
			hist = append(hist, rosterHistory{elder: id, what: domain.RosterRemoved, name: prev.Name})
			ch.Removed++
		}
		if ch.Upserted+ch.Removed > 0 {
			if err := s.setSiteVersion(ctx, tx, site, next, at); err != nil {
				return err
			}
			if err := s.noteRosterHistory(ctx, tx, site, next, at, hist); err != nil {
				return err
			}
			ch.Version, ch.Changed = next, true
		}
		ch.Elders = len(elders)
		return nil
	})
	return ch, err
}

// rosterHistory is one row of roster_changes before it is masked and
// written (noteRosterHistory).
type rosterHistory struct {
	elder, what, name           string
	credKind, credential, state string // what == RosterCredential: the credential (clear) and its new state
}

// credentialHistory is the credential changes from prev (zero: the elder
// was not on the roster) to e: a credential whose state differs from the
// one it had in prev, or that is new and not active (a card imported as
// already lost).
func credentialHistory(prev, e eldergate.RosterElder) []rosterHistory {
	was := make(map[string]string, len(prev.Credentials))
	for _, c := range prev.Credentials {
		was[c.Kind+"\x00"+c.Value] = c.State
	}
	var out []rosterHistory
	for _, c := range e.Credentials {
		st := cmp.Or(c.State, eldergate.CredActive)
		old, ok := was[c.Kind+"\x00"+c.Value]
		if ok && cmp.Or(old, eldergate.CredActive) == st || !ok && st == eldergate.CredActive {
			continue
		}
		out = append(out, rosterHistory{elder: e.ID, what: domain.RosterCredential, name: e.Name, credKind: c.Kind, credential: c.Value, state: st})
	}
	return out
}

// noteRosterHistory writes the changes of site's roster version v made at
// at into roster_changes, in the transaction that made them, masking the
// credentials (eldergate.MaskID, the form meal events carry) and names.
func (s *Store) noteRosterHistory(ctx context.Context, tx *Tx, site string, v uint64, at time.Time, hist []rosterHistory) error {
	var args []any
	for _, h := range hist {
		args = append(args, site, h.elder, h.what, h.credKind, eldergate.MaskID(h.credential), h.state,
			s.D.S(eldergate.MaskName(h.name)), int64(v), s.D.T(at))
	}
	if err := s.insertRows(ctx, tx.Conn, `INSERT INTO roster_changes (site, elder_id, what, cred_kind, credential, state, name, version, at) VALUES `,
		9, args, ``); err != nil {
		return s.errf("roster history of %s: %w", site, err)
	}
	return nil
}

func (s *Store) siteVersion(ctx context.Context, tx *Tx, site string) (uint64, error) {
	var v int64
	err := tx.Row(ctx, `SELECT version FROM roster_sites WHERE site = ?`, site).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, s.errf("roster version of %s: %w", site, err)
	}
	return uint64(v), nil
}

func (s *Store) setSiteVersion(ctx context.Context, tx *Tx, site string, v uint64, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO roster_sites (site, version, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (site) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`, site, int64(v), s.D.T(at))
	if err != nil {
		return s.errf("roster version of %s: %w", site, err)
	}
	return nil
}

// SetCredentialState implements domain.Store (rule:
// domain.SetCredentialState).
func (s *Store) SetCredentialState(ctx context.Context, site, elderID string, c eldergate.Credential, at time.Time) (domain.RosterChange, error) {
	var ch domain.RosterChange
	err := s.changeRoster(ctx, "credential state", site, &ch, func(tx *Tx, cur uint64) error {
		var data string
		err := tx.Row(ctx, `SELECT data FROM roster_elders WHERE site = ? AND elder_id = ? AND removed = false`, site, elderID).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return s.errf("credential state: elder %s of %s: %w", elderID, site, domain.ErrNotFound)
		}
		if err != nil {
			return s.errf("credential state: %w", err)
		}
		var e eldergate.RosterElder
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return s.errf("credential state: elder %s: %w", elderID, err)
		}
		changed, err := domain.SetCredentialState(&e, c)
		if err != nil {
			return s.errf("credential state: elder %s has no such %s: %w", elderID, c.Kind, err)
		}
		if changed {
			b, err := json.Marshal(e)
			if err != nil {
				return s.errf("credential state: %w", err)
			}
			next := cur + 1
			if _, err := tx.Exec(ctx, `UPDATE roster_elders SET data = ?, version = ? WHERE site = ? AND elder_id = ?`,
				string(b), int64(next), site, elderID); err != nil {
				return s.errf("credential state: %w", err)
			}
			if err := s.setSiteVersion(ctx, tx, site, next, at); err != nil {
				return err
			}
			h := rosterHistory{elder: elderID, what: domain.RosterCredential, name: e.Name, credKind: c.Kind, credential: c.Value, state: c.State}
			if err := s.noteRosterHistory(ctx, tx, site, next, at, []rosterHistory{h}); err != nil {
				return err
			}
			ch.Version, ch.Changed, ch.Upserted = next, true, 1
		}
		if err := tx.Row(ctx, `SELECT count(*) FROM roster_elders WHERE site = ? AND removed = false`, site).Scan(&ch.Elders); err != nil {
			return s.errf("credential state: %w", err)
		}
		return nil
	})
	if err != nil {
		return domain.RosterChange{Previous: ch.Previous, Version: ch.Previous}, err
	}
	return ch, nil
}

// readRoster runs f in a read transaction that sees one snapshot, so
// that a version matches the elders read with it.
func (s *Store) readRoster(ctx context.Context, op string, f func(tx *Tx) error) error {
	tx, err := s.Begin(ctx, s.D.ReadTx)
	if err != nil {
		return s.errf("%s: %w", op, err)
	}
	defer tx.Rollback()
	return f(tx)
}

func decodeElder(id, data string) (eldergate.RosterElder, error) {
	var e eldergate.RosterElder
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return e, fmt.Errorf("elder %s: %w", id, err)
	}
	return e, nil
}

// Roster implements domain.Store.
func (s *Store) Roster(ctx context.Context, site string) (uint64, []eldergate.RosterElder, error) {
	var v uint64
	var out []eldergate.RosterElder
	err := s.readRoster(ctx, "roster", func(tx *Tx) error {
		var err error
		if v, err = s.siteVersion(ctx, tx, site); err != nil {
			return err
		}
		out, err = queryAll(ctx, tx.Conn, func(r *sql.Rows) (eldergate.RosterElder, error) {
			var id, data string
			if err := r.Scan(&id, &data); err != nil {
				return eldergate.RosterElder{}, err
			}
			return decodeElder(id, data)
		}, `SELECT elder_id, data FROM roster_elders WHERE site = ? AND removed = false ORDER BY elder_id`, site)
		if err != nil {
			return s.errf("roster: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return v, out, nil
}

// RosterDelta implements domain.Store.
func (s *Store) RosterDelta(ctx context.Context, site string, base uint64) (eldergate.RosterUpdate, error) {
	var u eldergate.RosterUpdate
	err := s.readRoster(ctx, "roster delta", func(tx *Tx) error {
		cur, err := s.siteVersion(ctx, tx, site)
		if err != nil {
			return err
		}
		if base == 0 || base > cur {
			return s.errf("roster delta of %s from %d (current %d): %w", site, base, cur, domain.ErrNotFound)
		}
		u = eldergate.RosterUpdate{Mode: eldergate.RosterDelta, Version: cur, Base: base}
		rows, err := tx.Query(ctx, `SELECT elder_id, data, removed FROM roster_elders WHERE site = ? AND version > ? ORDER BY elder_id`,
			site, int64(base))
		if err != nil {
			return s.errf("roster delta: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, data string
			var gone bool
			if err := rows.Scan(&id, &data, &gone); err != nil {
				return s.errf("roster delta: %w", err)
			}
			if gone {
				u.Remove = append(u.Remove, id)
				continue
			}
			e, err := decodeElder(id, data)
			if err != nil {
				return s.errf("roster delta: %w", err)
			}
			u.Elders = append(u.Elders, e)
		}
		if err := rows.Err(); err != nil {
			return s.errf("roster delta: %w", err)
		}
		return nil
	})
	if err != nil {
		return eldergate.RosterUpdate{}, err
	}
	return u, nil
}

// SiteGateways implements domain.Store.
func (s *Store) SiteGateways(ctx context.Context, site string) ([]string, error) {
	out, err := queryAll(ctx, s.Conn(), scanString, `SELECT id FROM gateways WHERE site = ? AND revoked_at IS NULL ORDER BY id`, site)
	if err != nil {
		return nil, s.errf("gateways of %s: %w", site, err)
	}
	return out, nil
}

// NoteRosterCommand implements domain.Store.
func (s *Store) NoteRosterCommand(ctx context.Context, id, gw string, version uint64, at time.Time) error {
	return s.inTx(ctx, "note roster command "+id, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO roster_commands (id, gw, version, created_at) VALUES (?, ?, ?, ?)`,
			id, gw, int64(version), s.D.T(at)); err != nil {
			return s.errf("note roster command %s: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO roster_gateways (gw, queued) VALUES (?, ?)
			ON CONFLICT (gw) DO UPDATE SET queued = excluded.queued`, gw, int64(version)); err != nil {
			return s.errf("note roster command %s: %w", id, err)
		}
		return nil
	})
}

// RosterCommand implements domain.Store.
func (s *Store) RosterCommand(ctx context.Context, id string) (uint64, bool, error) {
	var v int64
	err := s.Conn().Row(ctx, `SELECT version FROM roster_commands WHERE id = ?`, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, s.errf("roster command %s: %w", id, err)
	}
	return uint64(v), true, nil
}

// ClaimRosterResult implements domain.Store.
func (s *Store) ClaimRosterResult(ctx context.Context, id string) (bool, error) {
	n, err := s.Conn().Affected(ctx, `UPDATE roster_commands SET handled = true WHERE id = ? AND handled = false`, id)
	if err != nil {
		return false, s.errf("claim roster result %s: %w", id, err)
	}
	return n == 1, nil
}

// ConfirmGatewayRoster implements domain.Store.
func (s *Store) ConfirmGatewayRoster(ctx context.Context, gw string, version uint64, at time.Time) error {
	_, err := s.Conn().Exec(ctx, `INSERT INTO roster_gateways (gw, confirmed, confirmed_at) VALUES (?, ?, ?)
		ON CONFLICT (gw) DO UPDATE SET confirmed = excluded.confirmed, confirmed_at = excluded.confirmed_at
		WHERE excluded.confirmed >= roster_gateways.confirmed`, gw, int64(version), s.D.T(at))
	if err != nil {
		return s.errf("confirm roster of %s: %w", gw, err)
	}
	return nil
}

// ResetGatewayRoster implements domain.Store.
func (s *Store) ResetGatewayRoster(ctx context.Context, gw string, have uint64) error {
	_, err := s.Conn().Exec(ctx, `INSERT INTO roster_gateways (gw, queued, confirmed) VALUES (?, 0, ?)
		ON CONFLICT (gw) DO UPDATE SET queued = 0, confirmed = excluded.confirmed`, gw, int64(have))
	if err != nil {
		return s.errf("reset roster of %s: %w", gw, err)
	}
	return nil
}

const gatewayRosterCols = `gw, queued, confirmed, confirmed_at, reported_source, reported_version, reported_elders, reported_at`

func scanGatewayRoster(r interface{ Scan(...any) error }) (domain.GatewayRoster, error) {
	var g domain.GatewayRoster
	var queued, confirmed, rv, re int64
	var src string
	if err := r.Scan(&g.GW, &queued, &confirmed, NullTime(&g.At), &src, &rv, &re, NullTime(&g.ReportedAt)); err != nil {
		return g, err
	}
	g.Queued, g.Confirmed = uint64(queued), uint64(confirmed)
	if src != "" {
		g.Reported = &eldergate.RosterReport{Source: src, Version: uint64(rv), Elders: int(re)}
	}
	return g, nil
}

// GatewayRoster implements domain.Store.
func (s *Store) GatewayRoster(ctx context.Context, gw string) (domain.GatewayRoster, error) {
	g, err := scanGatewayRoster(s.Conn().Row(ctx, `SELECT `+gatewayRosterCols+` FROM roster_gateways WHERE gw = ?`, gw))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.GatewayRoster{GW: gw}, nil
	}
	if err != nil {
		return domain.GatewayRoster{GW: gw}, s.errf("roster of %s: %w", gw, err)
	}
	return g, nil
}

// GatewayRosters implements domain.Store.
func (s *Store) GatewayRosters(ctx context.Context) (map[string]domain.GatewayRoster, error) {
	all, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.GatewayRoster, error) { return scanGatewayRoster(r) },
		`SELECT `+gatewayRosterCols+` FROM roster_gateways`)
	if err != nil {
		return nil, s.errf("gateway rosters: %w", err)
	}
	out := make(map[string]domain.GatewayRoster, len(all))
	for _, g := range all {
		out[g.GW] = g
	}
	return out, nil
}

// ReportGatewayRoster implements domain.Store. A result (boot 0) keeps
// the boot of the last birth.
func (s *Store) ReportGatewayRoster(ctx context.Context, gw string, rep eldergate.RosterReport, boot uint64, at time.Time) error {
	return s.reportGatewayRoster(ctx, s.Conn(), gw, rep, boot, at)
}

func (s *Store) reportGatewayRoster(ctx context.Context, c Conn, gw string, rep eldergate.RosterReport, boot uint64, at time.Time) error {
	_, err := c.Exec(ctx, `INSERT INTO roster_gateways (gw, reported_source, reported_version, reported_elders, reported_boot, reported_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (gw) DO UPDATE SET reported_source = excluded.reported_source, reported_version = excluded.reported_version,
			reported_elders = excluded.reported_elders, reported_at = excluded.reported_at,
			reported_boot = CASE WHEN excluded.reported_boot = 0 THEN roster_gateways.reported_boot ELSE excluded.reported_boot END
		WHERE (excluded.reported_boot > 0 AND excluded.reported_boot >= roster_gateways.reported_boot)
			OR (excluded.reported_boot = 0 AND excluded.reported_version >= roster_gateways.reported_version)`,
		gw, rep.Source, int64(rep.Version), int64(rep.Elders), int64(boot), s.D.T(at))
	if err != nil {
		return s.errf("report roster of %s: %w", gw, err)
	}
	return nil
}

// CreatePolicy implements domain.Store.
func (s *Store) CreatePolicy(ctx context.Context, p domain.StoredPolicy) (bool, error) {
	created := false
	err := s.inTx(ctx, "create policy", func(tx *Tx) error {
		var sum string
		err := tx.Row(ctx, `SELECT sha256 FROM policies WHERE version = ?`, p.Version).Scan(&sum)
		switch {
		case err == nil && sum == p.SHA256:
			return nil
		case err == nil:
			return s.errf("policy version %s exists with another body: %w", p.Version, domain.ErrConflict)
		case !errors.Is(err, sql.ErrNoRows):
			return s.errf("create policy: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO policies (version, name, body, sha256, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
			p.Version, s.D.S(p.Name), s.D.S(p.Body), p.SHA256, s.D.T(p.CreatedAt), s.D.S(p.CreatedBy)); err != nil {
			if s.D.IsUnique(err) {
				return s.errf("create policy %s: %w", p.Version, domain.ErrConflict)
			}
			return s.errf("create policy %s: %w", p.Version, err)
		}
		created = true
		return nil
	})
	return created && err == nil, err
}

// Policy implements domain.Store.
func (s *Store) Policy(ctx context.Context, version string) (domain.StoredPolicy, error) {
	p := domain.StoredPolicy{Version: version}
	err := s.Conn().Row(ctx, `SELECT name, body, sha256, created_at, created_by FROM policies WHERE version = ?`, version).
		Scan(&p.Name, &p.Body, &p.SHA256, Time(&p.CreatedAt), &p.CreatedBy)
	if err != nil {
		return p, s.errf("policy %s: %w", version, notFound(err))
	}
	return p, nil
}

// ListPolicies implements domain.Store.
func (s *Store) ListPolicies(ctx context.Context) ([]domain.StoredPolicy, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.StoredPolicy, error) {
		var p domain.StoredPolicy
		err := r.Scan(&p.Version, &p.Name, &p.SHA256, Time(&p.CreatedAt), &p.CreatedBy)
		return p, err
	}, `SELECT version, name, sha256, created_at, created_by FROM policies
		ORDER BY created_at DESC, version DESC LIMIT ?`, domain.ListLimit)
	if err != nil {
		return nil, s.errf("list policies: %w", err)
	}
	return out, nil
}

// AssignPolicy implements domain.Store.
func (s *Store) AssignPolicy(ctx context.Context, site, version string, at time.Time) error {
	return s.inTx(ctx, "assign policy", func(tx *Tx) error {
		var n int
		if err := tx.Row(ctx, `SELECT count(*) FROM policies WHERE version = ?`, version).Scan(&n); err != nil {
			return s.errf("assign policy %s to %s: %w", version, site, err)
		}
		if n == 0 {
			return s.errf("assign policy %s to %s: %w", version, site, domain.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO site_policies (site, version, assigned_at) VALUES (?, ?, ?)
			ON CONFLICT (site) DO UPDATE SET version = excluded.version, assigned_at = excluded.assigned_at`,
			site, version, s.D.T(at)); err != nil {
			return s.errf("assign policy %s to %s: %w", version, site, err)
		}
		return nil
	})
}

// SitePolicy implements domain.Store.
func (s *Store) SitePolicy(ctx context.Context, site string) (string, error) {
	var v string
	err := s.Conn().Row(ctx, `SELECT version FROM site_policies WHERE site = ?`, site).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", s.errf("policy of %s: %w", site, err)
	}
	return v, nil
}
