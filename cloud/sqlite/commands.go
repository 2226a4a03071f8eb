package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

func nullText(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// QueueCommand implements domain.Store.
func (s *Store) QueueCommand(ctx context.Context, c domain.Command) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO commands (id, gw, type, body, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.GW, c.Type, nullText(c.Body), ts(c.CreatedAt), ts(c.ExpiresAt))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("sqlite: queue command %s: %w", c.ID, domain.ErrConflict)
		}
		return fmt.Errorf("sqlite: queue command %s: %w", c.ID, err)
	}
	return nil
}

const commandCols = `id, gw, type, body, created_at, expires_at, sent_at, result_at, ok, error, result`

func (s *Store) queryCommands(ctx context.Context, op, query string, args ...any) ([]domain.Command, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	defer rows.Close()
	out := []domain.Command{}
	for rows.Next() {
		var c domain.Command
		var body, sent, res, result sql.NullString
		var created, expires string
		var ok sql.NullBool
		if err := rows.Scan(&c.ID, &c.GW, &c.Type, &body, &created, &expires, &sent, &res, &ok, &c.Error, &result); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", op, err)
		}
		if body.Valid {
			c.Body = json.RawMessage(body.String)
		}
		if result.Valid {
			c.Result = json.RawMessage(result.String)
		}
		if ok.Valid {
			v := ok.Bool
			c.OK = &v
		}
		if c.CreatedAt, err = parseTS(created); err != nil {
			return nil, err
		}
		if c.ExpiresAt, err = parseTS(expires); err != nil {
			return nil, err
		}
		if c.SentAt, err = parseNullTS(sent); err != nil {
			return nil, err
		}
		if c.ResultAt, err = parseNullTS(res); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return out, nil
}

// PendingCommands implements domain.Store.
func (s *Store) PendingCommands(ctx context.Context, gw string, now time.Time) ([]domain.Command, error) {
	return s.queryCommands(ctx, "pending commands", `SELECT `+commandCols+` FROM commands
		WHERE gw = ? AND result_at IS NULL AND expires_at > ? ORDER BY created_at, id`, gw, ts(now))
}

// ListCommands implements domain.Store.
func (s *Store) ListCommands(ctx context.Context, gw string) ([]domain.Command, error) {
	return s.queryCommands(ctx, "list commands", `SELECT `+commandCols+` FROM commands
		WHERE gw = ? ORDER BY created_at DESC, id DESC LIMIT ?`, gw, domain.ListLimit)
}

// MarkCommandSent implements domain.Store.
func (s *Store) MarkCommandSent(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE commands SET sent_at = ? WHERE id = ?`, ts(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: mark command %s sent: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("sqlite: mark command %s sent: %w", id, domain.ErrNotFound)
	}
	return nil
}

// RecordCommandResult implements domain.Store.
func (s *Store) RecordCommandResult(ctx context.Context, gw, id string, ok bool, errText string, body []byte, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE commands SET result_at = ?, ok = ?, error = ?, result = ?
		WHERE id = ? AND gw = ? AND result_at IS NULL`, ts(at), ok, errText, nullText(body), id, gw)
	if err != nil {
		return fmt.Errorf("sqlite: command %s result: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: command %s result: %w", id, err)
	}
	if n == 0 {
		var one int
		err := s.db.QueryRowContext(ctx, `SELECT 1 FROM commands WHERE id = ? AND gw = ?`, id, gw).Scan(&one)
		if err == sql.ErrNoRows {
			return fmt.Errorf("sqlite: command %s of %s result: %w", id, gw, domain.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("sqlite: command %s result: %w", id, err)
		}
	}
	return nil
}
