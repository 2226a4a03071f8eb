package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// QueueCommand implements domain.Store.
func (s *Store) QueueCommand(ctx context.Context, c domain.Command) error {
	if err := s.queueCommand(ctx, s.Conn(), c); err != nil {
		return s.errf("queue %w", err)
	}
	return nil
}

// queueCommand inserts c; ErrConflict when its id exists.
func (s *Store) queueCommand(ctx context.Context, x Conn, c domain.Command) error {
	_, err := x.Exec(ctx, `INSERT INTO commands (id, gw, type, body, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.GW, c.Type, s.nullText(c.Body), s.D.T(c.CreatedAt), s.D.T(c.ExpiresAt))
	if err != nil && s.D.IsUnique(err) {
		return fmt.Errorf("command %s: %w", c.ID, domain.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("command %s: %w", c.ID, err)
	}
	return nil
}

const commandCols = `id, gw, type, body, created_at, expires_at, sent_at, result_at, ok, error, result`

func scanCommand(r *sql.Rows) (domain.Command, error) {
	var c domain.Command
	var body, result *string
	err := r.Scan(&c.ID, &c.GW, &c.Type, &body, Time(&c.CreatedAt), Time(&c.ExpiresAt), NullTime(&c.SentAt),
		NullTime(&c.ResultAt), &c.OK, &c.Error, &result)
	if body != nil {
		c.Body = json.RawMessage(*body)
	}
	if result != nil {
		c.Result = json.RawMessage(*result)
	}
	return c, err
}

// PendingCommands implements domain.Store.
func (s *Store) PendingCommands(ctx context.Context, gw string, now time.Time) ([]domain.Command, error) {
	out, err := queryAll(ctx, s.Conn(), scanCommand, `SELECT `+commandCols+` FROM commands
		WHERE gw = ? AND result_at IS NULL AND expires_at > ? ORDER BY created_at, id`, gw, s.D.T(now))
	if err != nil {
		return nil, s.errf("pending commands: %w", err)
	}
	return out, nil
}

// ListCommands implements domain.Store.
func (s *Store) ListCommands(ctx context.Context, gw string) ([]domain.Command, error) {
	out, err := queryAll(ctx, s.Conn(), scanCommand, `SELECT `+commandCols+` FROM commands
		WHERE gw = ? ORDER BY created_at DESC, id DESC LIMIT ?`, gw, domain.ListLimit)
	if err != nil {
		return nil, s.errf("list commands: %w", err)
	}
	return out, nil
}

// MarkCommandSent implements domain.Store.
func (s *Store) MarkCommandSent(ctx context.Context, id string, at time.Time) error {
	n, err := s.Conn().Affected(ctx, `UPDATE commands SET sent_at = ? WHERE id = ?`, s.D.T(at), id)
	if err != nil {
		return s.errf("mark command %s sent: %w", id, err)
	}
	if n == 0 {
		return s.errf("mark command %s sent: %w", id, domain.ErrNotFound)
	}
	return nil
}

// RecordCommandResult implements domain.Store. The first result wins.
func (s *Store) RecordCommandResult(ctx context.Context, gw, id string, ok bool, errText string, body []byte, at time.Time) error {
	n, err := s.Conn().Affected(ctx, `UPDATE commands SET result_at = ?, ok = ?, error = ?, result = ?
		WHERE id = ? AND gw = ? AND result_at IS NULL`, s.D.T(at), ok, s.D.S(errText), s.nullText(body), id, gw)
	if err != nil {
		return s.errf("command %s result: %w", id, err)
	}
	if n > 0 {
		return nil
	}
	var one int
	err = s.Conn().Row(ctx, `SELECT 1 FROM commands WHERE id = ? AND gw = ?`, id, gw).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return s.errf("command %s of %s result: %w", id, gw, domain.ErrNotFound)
	}
	if err != nil {
		return s.errf("command %s result: %w", id, err)
	}
	return nil
}
