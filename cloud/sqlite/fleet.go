package sqlite

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// MarkSilentOffline implements domain.Store. One statement, so a batch
// committed concurrently is either seen (and the gateway stays online) or
// commits after and brings it online again.
func (s *Store) MarkSilentOffline(ctx context.Context, seenBefore time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `UPDATE gateways SET online = 0
		WHERE online <> 0 AND max(COALESCE(state_at, ''), COALESCE(last_event_at, '')) < ?
		RETURNING id`, ts(seenBefore))
	if err != nil {
		return nil, fmt.Errorf("sqlite: mark silent offline: %w", err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: mark silent offline: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: mark silent offline: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}
