package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
)

// SaveMenu stores m as the site's menu, replacing the one before.
func (s *Store) SaveMenu(ctx context.Context, m eldergate.Menu, at time.Time) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("sqlite: save menu: %w", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO menu (id, site, version, body, updated_at) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET site = excluded.site, version = excluded.version, body = excluded.body, updated_at = excluded.updated_at`,
		m.Site, m.Version, string(body), at.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("sqlite: save menu: %w", err)
	}
	return nil
}

// Menu returns the stored menu; ok is false before the first one. A
// stored menu that no longer validates is an error.
func (s *Store) Menu(ctx context.Context) (m eldergate.Menu, ok bool, err error) {
	var body string
	err = s.r.QueryRowContext(ctx, `SELECT body FROM menu WHERE id = 1`).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("sqlite: menu: %w", err)
	}
	if m, err = eldergate.DecodeMenu([]byte(body)); err != nil {
		return m, false, fmt.Errorf("sqlite: stored menu: %w", err)
	}
	return m, true, nil
}
