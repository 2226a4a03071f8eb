package sqlstore

import (
	"context"
	"database/sql"
)

// PolicyAssignments implements domain.Store.
func (s *Store) PolicyAssignments(ctx context.Context) (map[string]string, error) {
	rows, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) ([2]string, error) {
		var v [2]string
		err := r.Scan(&v[0], &v[1])
		return v, err
	}, `SELECT site, version FROM site_policies ORDER BY site`)
	if err != nil {
		return nil, s.errf("policy assignments: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, v := range rows {
		out[v[0]] = v[1]
	}
	return out, nil
}
