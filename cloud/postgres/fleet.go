package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// MarkSilentOffline implements domain.Store. One statement, so a batch
// committed concurrently is either seen (and the gateway stays online) or
// commits after and brings it online again.
func (s *Store) MarkSilentOffline(ctx context.Context, seenBefore time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `UPDATE gateways SET online = false
		WHERE online AND COALESCE(GREATEST(state_at, last_event_at), '-infinity'::timestamptz) < $1
		RETURNING id`, seenBefore.UTC())
	if err != nil {
		return nil, fmt.Errorf("postgres: mark silent offline: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: mark silent offline: %w", err)
	}
	if ids == nil {
		ids = []string{}
	}
	slices.Sort(ids)
	return ids, nil
}
