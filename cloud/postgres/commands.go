package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func nullText(b []byte) *string {
	if len(b) == 0 {
		return nil
	}
	s := clean(string(b))
	return &s
}

// QueueCommand implements domain.Store.
func (s *Store) QueueCommand(ctx context.Context, c domain.Command) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO commands (id, gw, type, body, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.ID, c.GW, c.Type, nullText(c.Body), c.CreatedAt.UTC(), c.ExpiresAt.UTC())
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return fmt.Errorf("postgres: queue command %s: %w", c.ID, domain.ErrConflict)
		}
		return fmt.Errorf("postgres: queue command %s: %w", c.ID, err)
	}
	return nil
}

const commandCols = `id, gw, type, body, created_at, expires_at, sent_at, result_at, ok, error, result`

func (s *Store) queryCommands(ctx context.Context, op, query string, args ...any) ([]domain.Command, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", op, err)
	}
	defer rows.Close()
	out := []domain.Command{}
	for rows.Next() {
		var c domain.Command
		var body, result *string
		if err := rows.Scan(&c.ID, &c.GW, &c.Type, &body, &c.CreatedAt, &c.ExpiresAt, &c.SentAt, &c.ResultAt, &c.OK, &c.Error, &result); err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", op, err)
		}
		if body != nil {
			c.Body = json.RawMessage(*body)
		}
		if result != nil {
			c.Result = json.RawMessage(*result)
		}
		c.CreatedAt, c.ExpiresAt = utc(c.CreatedAt), utc(c.ExpiresAt)
		c.SentAt, c.ResultAt = utcPtr(c.SentAt), utcPtr(c.ResultAt)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", op, err)
	}
	return out, nil
}

// PendingCommands implements domain.Store.
func (s *Store) PendingCommands(ctx context.Context, gw string, now time.Time) ([]domain.Command, error) {
	return s.queryCommands(ctx, "pending commands", `SELECT `+commandCols+` FROM commands
		WHERE gw = $1 AND result_at IS NULL AND expires_at > $2 ORDER BY created_at, id`, gw, now.UTC())
}

// ListCommands implements domain.Store.
func (s *Store) ListCommands(ctx context.Context, gw string) ([]domain.Command, error) {
	return s.queryCommands(ctx, "list commands", `SELECT `+commandCols+` FROM commands
		WHERE gw = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, gw, domain.ListLimit)
}

// MarkCommandSent implements domain.Store.
func (s *Store) MarkCommandSent(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE commands SET sent_at = $1 WHERE id = $2`, at.UTC(), id)
	if err != nil {
		return fmt.Errorf("postgres: mark command %s sent: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: mark command %s sent: %w", id, domain.ErrNotFound)
	}
	return nil
}

// RecordCommandResult implements domain.Store.
func (s *Store) RecordCommandResult(ctx context.Context, gw, id string, ok bool, errText string, body []byte, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE commands SET result_at = $1, ok = $2, error = $3, result = $4
		WHERE id = $5 AND gw = $6 AND result_at IS NULL`, at.UTC(), ok, clean(errText), nullText(body), id, gw)
	if err != nil {
		return fmt.Errorf("postgres: command %s result: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		var one int
		err := s.pool.QueryRow(ctx, `SELECT 1 FROM commands WHERE id = $1 AND gw = $2`, id, gw).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("postgres: command %s of %s result: %w", id, gw, domain.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("postgres: command %s result: %w", id, err)
		}
	}
	return nil
}
