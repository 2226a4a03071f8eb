package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// SetMenu implements domain.Store. Writers of one site's menu are
// serialised by the dialect's lock, so two changes never get one version.
func (s *Store) SetMenu(ctx context.Context, site string, m eldergate.Menu, by string, at time.Time) (domain.StoredMenu, bool, error) {
	if m.Dishes == nil {
		m.Dishes = []eldergate.Dish{}
	}
	b, err := json.Marshal(m.Dishes)
	if err != nil {
		return domain.StoredMenu{}, false, s.errf("set menu of %s: %w", site, err)
	}
	dishes := s.D.S(string(b))
	var out domain.StoredMenu
	changed := false
	err = s.inTx(ctx, "set menu", func(tx *Tx) error {
		if err := tx.lock(ctx, "menu:"+site); err != nil {
			return s.errf("set menu of %s: lock: %w", site, err)
		}
		cur, err := s.readMenu(ctx, tx.Conn, site)
		switch {
		case errors.Is(err, domain.ErrNotFound):
		case err != nil:
			return err
		default:
			old, _ := json.Marshal(cur.Dishes)
			if string(old) == dishes {
				out = cur
				return nil
			}
		}
		next := uint64(1)
		if cur.Version != "" {
			v, err := strconv.ParseUint(cur.Version, 10, 64)
			if err != nil {
				return s.errf("set menu of %s: stored version %q: %w", site, cur.Version, err)
			}
			next = v + 1
		}
		if _, err := tx.Exec(ctx, `INSERT INTO site_menus (site, version, dishes, set_by, set_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (site) DO UPDATE SET version = excluded.version, dishes = excluded.dishes,
				set_by = excluded.set_by, set_at = excluded.set_at`,
			site, int64(next), dishes, s.D.S(by), s.D.T(at)); err != nil {
			return s.errf("set menu of %s: %w", site, err)
		}
		out = domain.StoredMenu{Menu: eldergate.Menu{Site: site, Version: strconv.FormatUint(next, 10), Dishes: m.Dishes},
			SetBy: s.D.S(by), SetAt: at.UTC()}
		changed = true
		return nil
	})
	if err != nil {
		return domain.StoredMenu{}, false, err
	}
	return out, changed, nil
}

// readMenu reads the menu of site (domain.ErrNotFound when none).
func (s *Store) readMenu(ctx context.Context, c Conn, site string) (domain.StoredMenu, error) {
	m := domain.StoredMenu{Menu: eldergate.Menu{Site: site}}
	var v int64
	var dishes string
	err := c.Row(ctx, `SELECT version, dishes, set_by, set_at FROM site_menus WHERE site = ?`, site).
		Scan(&v, &dishes, &m.SetBy, Time(&m.SetAt))
	if err != nil {
		return m, s.errf("menu of %s: %w", site, notFound(err))
	}
	if err := json.Unmarshal([]byte(dishes), &m.Dishes); err != nil {
		return m, s.errf("menu of %s: %w", site, err)
	}
	m.Version = strconv.FormatInt(v, 10)
	return m, nil
}

// Menu implements domain.Store.
func (s *Store) Menu(ctx context.Context, site string) (domain.StoredMenu, error) {
	return s.readMenu(ctx, s.Conn(), site)
}

// NoteMenuCommand implements domain.Store.
func (s *Store) NoteMenuCommand(ctx context.Context, gw, site string, version uint64, commandID string, at time.Time) error {
	_, err := s.Conn().Exec(ctx, `INSERT INTO menu_gateways (gw, site, version, command_id, queued_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (gw) DO UPDATE SET site = excluded.site, version = excluded.version,
			command_id = excluded.command_id, queued_at = excluded.queued_at
		WHERE menu_gateways.site <> excluded.site OR menu_gateways.version <= excluded.version`,
		gw, site, int64(version), commandID, s.D.T(at))
	if err != nil {
		return s.errf("note menu command %s of %s: %w", commandID, gw, err)
	}
	return nil
}

// MenuDue implements domain.Store.
func (s *Store) MenuDue(ctx context.Context, gw, site string, now time.Time) (domain.StoredMenu, bool, error) {
	m, err := s.readMenu(ctx, s.Conn(), site)
	if errors.Is(err, domain.ErrNotFound) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	var queuedSite string
	var queued int64
	var resultAt, expiresAt *time.Time
	err = s.Conn().Row(ctx, `SELECT g.site, g.version, c.result_at, c.expires_at
		FROM menu_gateways g LEFT JOIN commands c ON c.id = g.command_id WHERE g.gw = ?`, gw).
		Scan(&queuedSite, &queued, NullTime(&resultAt), NullTime(&expiresAt))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return m, true, nil
	case err != nil:
		return m, false, s.errf("menu due of %s: %w", gw, err)
	}
	if queuedSite != site || strconv.FormatInt(queued, 10) != m.Version {
		return m, true, nil
	}
	// The current version was queued: due again only when its command
	// expired unanswered (or is gone).
	expired := resultAt == nil && (expiresAt == nil || !expiresAt.After(now))
	return m, expired, nil
}
